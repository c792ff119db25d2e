import { LabError } from "./errors";
import { run } from "./run";

/**
 * The lab's private network: a bridge on the host with the gateway address,
 * and one veth per node (systemd-nspawn --network-bridge) whose node end,
 * host0, systemd-networkd in the node configures with a static address and
 * KeepConfiguration=static. Control listens on the gateway address too, so
 * agents reach it over TLS; tests reach the nodes' demo services at the
 * nodes' addresses. Nothing leaves this bridge: it has no uplink and the
 * host does not forward.
 */
export const LAB_NETWORK = {
  bridge: "sf-lab0",
  gateway: "10.213.0.1",
  prefixLength: 16,
  cidr: "10.213.0.0/16",
} as const;

/** Node N's address on the lab network: 10.213.1.1 for node 1, up to 10.213.4.231 for node 999. */
export function nodeAddress(index: number): string {
  return `10.213.${1 + (index >> 8)}.${index & 255}`;
}

interface IpAddressInfo {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

interface IpRoute {
  dst: string;
  dev?: string;
}

async function ip(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const result = await run("ip", args, { timeoutMs: 10_000 });
  return { ok: result.exitCode === 0, stdout: result.stdout, stderr: result.stderr.trim() };
}

async function bridgeInfo(): Promise<IpAddressInfo | null> {
  const shown = await ip(["-j", "address", "show", "dev", LAB_NETWORK.bridge]);
  if (!shown.ok) return null;
  return (JSON.parse(shown.stdout) as IpAddressInfo[])[0] ?? null;
}

const hasGateway = (info: IpAddressInfo | null) =>
  info?.addr_info?.some((a) => a.family === "inet" && a.local === LAB_NETWORK.gateway) ?? false;

/** Routes of this machine that overlap the lab's network on another device: taking it over would cut them off. */
async function conflictingRoutes(): Promise<string[]> {
  const shown = await ip(["-j", "-4", "route", "show", "table", "all"]);
  if (!shown.ok) return [];
  const routes = JSON.parse(shown.stdout) as IpRoute[];
  return routes
    .filter((route) => route.dev !== LAB_NETWORK.bridge && route.dst !== "default" && overlapsLab(route.dst))
    .map((route) => `${route.dst} via ${route.dev ?? "?"}`);
}

function overlapsLab(dst: string): boolean {
  const [address, length = "32"] = dst.split("/");
  const octets = (address ?? "").split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o))) return false;
  const bits = Number(length);
  // Two prefixes overlap when the shorter one contains the other's start.
  const shorter = Math.min(bits, LAB_NETWORK.prefixLength);
  const toInt = (o: number[]) => ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const mask = shorter === 0 ? 0 : (0xffffffff << (32 - shorter)) >>> 0;
  return (toInt(octets) & mask) === (toInt(LAB_NETWORK.gateway.split(".").map(Number)) & mask);
}

/**
 * Makes the lab's bridge with its gateway address, unless it is there already.
 * Safe to call from several processes at once. Says what is in the way when
 * this machine already routes the lab's addresses elsewhere.
 */
export async function ensureLabNetwork(): Promise<typeof LAB_NETWORK> {
  const existing = await bridgeInfo();
  if (existing && hasGateway(existing)) {
    await ip(["link", "set", LAB_NETWORK.bridge, "up"]);
    return LAB_NETWORK;
  }
  if (!existing) {
    const conflicts = await conflictingRoutes();
    if (conflicts.length > 0) {
      throw new LabError(
        "busy",
        `the lab's network ${LAB_NETWORK.cidr} overlaps a route of this machine (${conflicts.join(", ")})`,
        "the lab's nodes need that range for themselves: free it, or run the lab on another machine",
      );
    }
    const added = await ip(["link", "add", LAB_NETWORK.bridge, "type", "bridge"]);
    if (!added.ok && !/exists/i.test(added.stderr)) {
      throw new LabError("prerequisites", `could not make the lab's bridge ${LAB_NETWORK.bridge}: ${added.stderr}`);
    }
  }
  const address = `${LAB_NETWORK.gateway}/${LAB_NETWORK.prefixLength}`;
  const assigned = await ip(["address", "add", address, "dev", LAB_NETWORK.bridge]);
  // Another process (a parallel test file) may have just given it: what counts is that it has it.
  if (!assigned.ok && !hasGateway(await bridgeInfo())) {
    throw new LabError(
      "prerequisites",
      `could not give ${LAB_NETWORK.bridge} the address ${address}: ${assigned.stderr}`,
    );
  }
  const up = await ip(["link", "set", LAB_NETWORK.bridge, "up"]);
  if (!up.ok) throw new LabError("prerequisites", `could not bring ${LAB_NETWORK.bridge} up: ${up.stderr}`);
  return LAB_NETWORK;
}

/** Removes the lab's bridge (its nodes' veths went with them). Idempotent. */
export async function removeLabNetwork(): Promise<boolean> {
  if (!(await bridgeInfo())) return false;
  const removed = await ip(["link", "delete", LAB_NETWORK.bridge]);
  if (!removed.ok && (await bridgeInfo())) {
    throw new LabError("command-failed", `could not remove ${LAB_NETWORK.bridge}: ${removed.stderr}`);
  }
  return true;
}

/** The URL by which the lab's nodes reach a control process listening on the lab's gateway address too. */
export function nodeControlUrl(controlUrl: string): string {
  const url = new URL(controlUrl);
  url.hostname = LAB_NETWORK.gateway;
  return url.toString().replace(/\/$/, "");
}
