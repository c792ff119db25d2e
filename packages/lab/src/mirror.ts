import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const FALLBACK_MIRROR = "http://deb.debian.org/debian";

export interface Mirror {
  url: string;
  /** Where it came from, for the progress line. */
  source: string;
}

/**
 * The Debian mirror this machine's apt already uses (so a proxy or local mirror
 * is honoured): SOFTFLEET_LAB_MIRROR, else the first Debian archive entry of
 * /etc/apt/sources.list and sources.list.d (one-line and deb822 formats).
 */
export function debianMirror(): Mirror {
  const override = process.env.SOFTFLEET_LAB_MIRROR;
  if (override) return { url: override, source: "SOFTFLEET_LAB_MIRROR" };
  for (const file of sourceFiles()) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const entries = file.endsWith(".sources") ? deb822Entries(text) : oneLineEntries(text);
    const url = entries.find(isDebianArchive)?.uri;
    if (url) return { url: url.replace(/\/+$/, ""), source: file };
  }
  return { url: FALLBACK_MIRROR, source: "default (no Debian entry in /etc/apt)" };
}

interface SourceEntry {
  types: string[];
  uri: string;
  suites: string[];
}

function sourceFiles(): string[] {
  const dir = "/etc/apt/sources.list.d";
  let listed: string[] = [];
  try {
    listed = readdirSync(dir)
      .filter((name) => name.endsWith(".list") || name.endsWith(".sources"))
      .sort()
      .map((name) => join(dir, name));
  } catch {}
  return ["/etc/apt/sources.list", ...listed];
}

function oneLineEntries(text: string): SourceEntry[] {
  return text.split("\n").flatMap((raw) => {
    const line = raw
      .replace(/#.*/, "")
      .replace(/\[[^\]]*\]/, "")
      .trim();
    const [type, uri, suite] = line.split(/\s+/);
    return type && uri && suite ? [{ types: [type], uri, suites: [suite] }] : [];
  });
}

function deb822Entries(text: string): SourceEntry[] {
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const fields = new Map<string, string[]>();
    for (const line of stanza.split("\n")) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line.replace(/#.*/, ""));
      if (match) fields.set(match[1]!.toLowerCase(), match[2]!.trim().split(/\s+/));
    }
    if (fields.get("enabled")?.[0] === "no") return [];
    const types = fields.get("types") ?? [];
    const suites = fields.get("suites") ?? [];
    return (fields.get("uris") ?? []).map((uri) => ({ types, uri, suites }));
  });
}

/** A main archive (not security, not a third-party repository): its path ends in /debian. */
function isDebianArchive(entry: SourceEntry): boolean {
  return (
    entry.types.includes("deb") &&
    /^https?:\/\/[^/]+(\/.*)?\/debian\/?$/.test(entry.uri) &&
    entry.suites.some((suite) => !suite.includes("/") && !/-(security|updates|backports)$/.test(suite))
  );
}
