import { readFile } from "node:fs/promises";
import type { LinkContinuity, NetworkLink } from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";

/**
 * The links systemd-networkd manages, from its Describe() JSON: their state,
 * their global addresses, their .network file's KeepConfiguration= and the
 * kernel's count of carrier losses. Describe() is input like any other:
 * bounded and validated; a link networkd does not manage is left out.
 */

const MAX_DESCRIBE_BYTES = 4 * 1024 * 1024;
const MAX_NETWORK_FILE_BYTES = 64 * 1024;

const byteArray = z.array(z.number().check(z.int(), z.minimum(0), z.maximum(255))).check(z.maxLength(16));
const described = z.object({
  Interfaces: z
    .array(
      z.object({
        Name: z.string().check(z.minLength(1), z.maxLength(32)),
        OperationalState: z.optional(z.string().check(z.maxLength(32))),
        NetworkFile: z.optional(z.string().check(z.maxLength(512))),
        NetworkFileDropins: z.optional(z.array(z.string().check(z.maxLength(512))).check(z.maxLength(32))),
        Addresses: z.optional(
          z
            .array(
              z.object({
                Family: z.number().check(z.int()),
                Address: byteArray,
                PrefixLength: z.number().check(z.int(), z.minimum(0), z.maximum(128)),
                ScopeString: z.optional(z.string().check(z.maxLength(32))),
              }),
            )
            .check(z.maxLength(256)),
        ),
      }),
    )
    .check(z.maxLength(256)),
});

export interface LinkReaders {
  /** A file's text (the .network file and its drop-ins), or null when unreadable. */
  readText: (path: string) => Promise<string | null>;
  /** /sys/class/net/NAME/carrier_down_count, or null. */
  carrierDownCount: (name: string) => Promise<number | null>;
}

export const realLinkReaders: LinkReaders = {
  async readText(path) {
    try {
      const text = await readFile(path, "utf8");
      return text.length > MAX_NETWORK_FILE_BYTES ? null : text;
    } catch {
      return null;
    }
  },
  async carrierDownCount(name) {
    if (!/^[A-Za-z0-9_.@-]{1,32}$/.test(name)) return null;
    try {
      const value = Number((await readFile(`/sys/class/net/${name}/carrier_down_count`, "utf8")).trim());
      return Number.isInteger(value) && value >= 0 && value <= 4_294_967_295 ? value : null;
    } catch {
      return null;
    }
  },
};

/** The managed links of a Describe() answer; null when it is not networkd's JSON. */
export async function linksOf(json: string, readers: LinkReaders = realLinkReaders): Promise<NetworkLink[] | null> {
  if (json.length > MAX_DESCRIBE_BYTES) return null;
  let parsed: z.infer<typeof described>;
  try {
    const result = described.safeParse(JSON.parse(json));
    if (!result.success) return null;
    parsed = result.data;
  } catch {
    return null;
  }
  const managed = parsed.Interfaces.filter((link) => link.NetworkFile).slice(0, 32);
  return Promise.all(
    managed.map(async (link) => ({
      name: link.Name,
      operState: link.OperationalState ?? "unknown",
      keepConfiguration: await keepConfigurationOf([link.NetworkFile!, ...(link.NetworkFileDropins ?? [])], readers),
      networkFile: link.NetworkFile!,
      addresses: (link.Addresses ?? [])
        .filter((a) => a.ScopeString === "global" || a.ScopeString === undefined)
        .map((a) => formatAddress(a.Family, a.Address, a.PrefixLength))
        .filter((a): a is string => a !== null)
        .sort()
        .slice(0, 32),
      carrierDownCount: await readers.carrierDownCount(link.Name),
    })),
  );
}

/** KeepConfiguration= in the [Network] section: the last one wins, drop-ins after the file. */
export async function keepConfigurationOf(files: string[], readers: LinkReaders): Promise<string | null> {
  let value: string | null = null;
  for (const file of files.slice(0, 33)) {
    const text = await readers.readText(file);
    if (text === null) continue;
    let section = "";
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line.startsWith("[") && line.endsWith("]")) section = line.slice(1, -1);
      else if (section === "Network" && /^KeepConfiguration\s*=/.test(line)) {
        const setting = line.slice(line.indexOf("=") + 1).trim();
        // An empty assignment resets it to the default.
        value = setting === "" ? null : setting.slice(0, 32);
      }
    }
  }
  return value;
}

function formatAddress(family: number, bytes: number[], prefix: number): string | null {
  if (family === 2 && bytes.length === 4) return `${bytes.join(".")}/${prefix}`;
  if (family === 10 && bytes.length === 16) {
    const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
    // The URL parser writes an IPv6 address in its short form.
    return `${new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1)}/${prefix}`;
  }
  return null;
}

/**
 * Each managed link before and after a reboot, by name. It went down when the
 * kernel counted a carrier loss in between; its addresses changed when the
 * two sets differ.
 */
export function linkContinuity(before: readonly NetworkLink[], after: readonly NetworkLink[]): LinkContinuity[] {
  const names = [...new Set([...before.map((l) => l.name), ...after.map((l) => l.name)])].slice(0, 32);
  return names.map((name) => {
    const b = before.find((l) => l.name === name) ?? null;
    const a = after.find((l) => l.name === name) ?? null;
    const outcome: LinkContinuity["outcome"] = !a
      ? "gone"
      : !b
        ? "new"
        : b.carrierDownCount !== null && a.carrierDownCount !== null && a.carrierDownCount > b.carrierDownCount
          ? "went-down"
          : b.addresses.join(" ") !== a.addresses.join(" ")
            ? "changed"
            : "kept";
    return { name, outcome, before: b, after: a };
  });
}
