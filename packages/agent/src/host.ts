import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { osRelease } from "@softfleet/protocol";
import type * as z from "@softfleet/protocol/zod";

export type OsRelease = z.infer<typeof osRelease>;
export interface Nextroot {
  staged: boolean;
  imageVersion: string | null;
}

/**
 * Facts about the host read from files. `root` prefixes every path so tests
 * can lay out a fake host in a temporary folder; it is "/" in production.
 */
export interface HostPaths {
  root: string;
}
export const realHost: HostPaths = { root: "/" };

const path = (host: HostPaths, p: string) => join(host.root, p);

export function readMachineId(host: HostPaths): string {
  return readFileSync(path(host, "/etc/machine-id"), "utf8").trim();
}

export function readBootId(host: HostPaths): string {
  return readFileSync(path(host, "/proc/sys/kernel/random/boot_id"), "utf8").trim();
}

export function readHostname(host: HostPaths): string {
  return readFileSync(path(host, "/proc/sys/kernel/hostname"), "utf8").trim();
}

/** Parses os-release(5): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\`$])/g, "$1");
    }
    fields[match[1]!] = value;
  }
  return fields;
}

/** /etc/os-release, else /usr/lib/os-release, under `tree` (a root or /run/nextroot). */
export function readOsReleaseFields(host: HostPaths, tree = "/"): Record<string, string> | null {
  for (const candidate of ["etc/os-release", "usr/lib/os-release"]) {
    try {
      return parseOsRelease(readFileSync(path(host, join(tree, candidate)), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return null;
}

export function toOsRelease(fields: Record<string, string> | null): OsRelease {
  const pick = (key: string, max: number) => fields?.[key]?.slice(0, max) || null;
  return {
    id: pick("ID", 64),
    versionId: pick("VERSION_ID", 64),
    imageId: pick("IMAGE_ID", 128),
    imageVersion: pick("IMAGE_VERSION", 128),
  };
}

export function readOsRelease(host: HostPaths): OsRelease {
  return toOsRelease(readOsReleaseFields(host));
}

/** Mount points listed in mountinfo(5) (field 5, octal escapes undone). */
export function parseMountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint)
      points.add(mountPoint.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8))));
  }
  return points;
}

/**
 * Whether /run/nextroot is set up the way PID 1 wants it for a soft-reboot
 * into a new image: a mount point (listed in mountinfo, or on another device
 * than /run) that holds an os-release. A plain folder does not count: PID 1
 * would not switch into it.
 */
export function readNextroot(host: HostPaths): Nextroot {
  const nextroot = "/run/nextroot";
  let isMountPoint = false;
  try {
    isMountPoint = statSync(path(host, nextroot)).dev !== statSync(path(host, "/run")).dev;
  } catch {
    return { staged: false, imageVersion: null };
  }
  if (!isMountPoint) {
    try {
      isMountPoint = parseMountPoints(readFileSync(path(host, "/proc/self/mountinfo"), "utf8")).has(nextroot);
    } catch {
      isMountPoint = false;
    }
  }
  if (!isMountPoint) return { staged: false, imageVersion: null };
  const fields = readOsReleaseFields(host, nextroot);
  if (!fields) return { staged: false, imageVersion: null };
  return { staged: true, imageVersion: fields.IMAGE_VERSION?.slice(0, 128) || null };
}

/** CLOCK_MONOTONIC in microseconds: on Linux process.hrtime is CLOCK_MONOTONIC, the clock systemd's *Monotonic use. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}
