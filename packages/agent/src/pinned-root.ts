import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PinnedProcess, PinnedRoot } from "@softfleet/protocol";
import { type HostPaths, monotonicUsec, realHost } from "./host";

/**
 * Finding the processes that still hold the root file system of an earlier
 * userspace cycle. A soft-reboot into /run/nextroot detaches the old root, but
 * a survivor that runs a binary from it, maps one of its files, has its cwd or
 * root there, or keeps it mounted in its own mount namespace keeps it alive,
 * with the memory its pages take. The old root is known by its device (the
 * st_dev of "/" before the soft-reboot, as "major:minor"), which is how
 * /proc/PID/smaps and mountinfo name a mapping's and a mount's file system.
 */

const MAX_PROCESSES = 50;
const NONE_MAPPED = { files: [] as string[], pssKb: 0 };
const MAX_FILES = 5;

/** "major:minor" of a stat dev number (the kernel's new_encode_dev, as glibc's major()/minor() read it). */
export function deviceName(dev: number | bigint): string {
  const value = BigInt(dev);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn);
  const minor = (value & 0xffn) | ((value >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

export async function readRootDevice(host: HostPaths = realHost): Promise<string> {
  return deviceName((await stat(host.root)).dev);
}

const MAPPING_HEADER = /^[0-9a-f]+-[0-9a-f]+ \S+ [0-9a-f]+ ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$/;
/** A mapping's header line in maps(5) and smaps: it starts with the address range; key lines with a letter. */
const isHeader = (line: string) => {
  const c = line.charCodeAt(0);
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
};

/** The mapping a header line describes, when it maps a file of one of the devices. */
function fileFrom(line: string, devices: ReadonlySet<string>): string | null {
  const header = MAPPING_HEADER.exec(line);
  if (!header || header[3] === "0") return null;
  const device = `${Number.parseInt(header[1]!, 16)}:${Number.parseInt(header[2]!, 16)}`;
  return devices.has(device) ? header[4]!.trim() : null;
}

/**
 * Whether /proc/PID/maps names a file of one of the devices. maps costs the kernel far less than
 * smaps (no walk of the page tables for Pss), and its text is a twentieth of the size: smaps is
 * read only for the processes that map something from an old root.
 */
export function mapsFrom(maps: string, devices: ReadonlySet<string>): boolean {
  for (const line of maps.split("\n")) if (line && fileFrom(line, devices) !== null) return true;
  return false;
}

/**
 * The files one process maps from the given devices, and their Pss (the
 * process's share of the pages they keep in memory), from /proc/PID/smaps
 * (each mapping: a maps(5)-style header, then "Key: value kB" lines).
 */
export function mappedFrom(smaps: string, devices: ReadonlySet<string>): { files: string[]; pssKb: number } {
  const files = new Set<string>();
  let pssKb = 0;
  let counting = false;
  for (const line of smaps.split("\n")) {
    if (isHeader(line)) {
      const file = fileFrom(line, devices);
      counting = file !== null;
      if (file !== null) files.add(file);
    } else if (counting && line.startsWith("Pss:")) {
      pssKb += Number.parseInt(line.slice(4), 10) || 0;
    }
  }
  return { files: [...files], pssKb };
}

/** The mount points in a mountinfo(5) whose file system is one of the devices (field 3, "major:minor"). */
export function mountsFrom(mountinfo: string, devices: ReadonlySet<string>): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    if (fields.length > 4 && devices.has(fields[2]!)) points.push(fields[4]!);
  }
  return points;
}

/** The unit a process belongs to, from its cgroup (v2: "0::/system.slice/x.service"). */
export function unitOfCgroup(cgroup: string): string | null {
  const path =
    cgroup
      .split("\n")
      .find((line) => line.startsWith("0::"))
      ?.slice(3) ?? "";
  const parts = path.split("/").filter((part) => /\.(service|scope)$/.test(part));
  return parts.at(-1) ?? null;
}

/** A file's text; "" when the process is gone, null when the agent may not read it. */
const readText = (file: string): Promise<string | null> =>
  readFile(file, "utf8").catch((error: NodeJS.ErrnoException) =>
    error.code === "EACCES" || error.code === "EPERM" ? null : "",
  );
const deviceOf = (file: string) =>
  stat(file).then(
    (s) => deviceName(s.dev),
    () => null,
  );

/**
 * The processes that still reference the old roots (`devices`): by exe, cwd,
 * root, mapped files and mounts in their mount namespace (each namespace
 * read once). Null when there is no old root to look for. A process that
 * exits while it is read is skipped.
 */
export async function findPinnedRoot(
  devices: readonly string[],
  host: HostPaths = realHost,
): Promise<PinnedRoot | null> {
  if (devices.length === 0) return null;
  const started = performance.now();
  const wanted = new Set(devices);
  const proc = join(host.root, "proc");
  const pids = (await readdir(proc)).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const seenNamespaces = new Set<string>();
  const found: PinnedProcess[] = [];
  let unreadable = 0;
  for (const pid of pids) {
    const dir = join(proc, String(pid));
    const refs: PinnedProcess["refs"] = [];
    const files: string[] = [];
    for (const link of ["exe", "cwd", "root"] as const) {
      const device = await deviceOf(join(dir, link));
      if (device && wanted.has(device)) {
        refs.push(link);
        if (link === "exe") files.push(await readlink(join(dir, link)).catch(() => "(exe)"));
      }
    }
    const maps = await readText(join(dir, "maps"));
    if (maps === null) unreadable += 1;
    const mapsOldRoot = maps !== null && mapsFrom(maps, wanted);
    const mapped = mapsOldRoot ? mappedFrom((await readText(join(dir, "smaps"))) ?? "", wanted) : NONE_MAPPED;
    if (mapped.files.length > 0) refs.push("mapped");
    files.push(...mapped.files);
    const namespace = await readlink(join(dir, "ns/mnt")).catch(() => null);
    if (namespace && !seenNamespaces.has(namespace)) {
      seenNamespaces.add(namespace);
      const mounts = mountsFrom((await readText(join(dir, "mountinfo"))) ?? "", wanted);
      if (mounts.length > 0) {
        refs.push("mounted");
        files.push(...mounts.map((point) => `mount ${point}`));
      }
    }
    if (refs.length === 0) continue;
    const [comm, cgroup] = await Promise.all([readText(join(dir, "comm")), readText(join(dir, "cgroup"))]);
    found.push({
      pid,
      comm: (comm ?? "").trim().slice(0, 64),
      unit: unitOfCgroup(cgroup ?? ""),
      refs,
      files: [...new Set(files)].slice(0, MAX_FILES).map((file) => file.slice(0, 512)),
      pssKb: mapped.pssKb,
    });
  }
  // Named at most MAX_PROCESSES: first every process holding the root by its exe, cwd, root or a
  // mount (each alone keeps it busy), then those only mapping its files, the largest first; a host
  // with many processes mapping a shared tmpfs must not crowd out the one whose cwd is on it.
  const byPss = (a: PinnedProcess, b: PinnedProcess) => b.pssKb - a.pssKb || a.pid - b.pid;
  const holding = found.filter((p) => p.refs.some((ref) => ref !== "mapped")).sort(byPss);
  const mappedOnly = found.filter((p) => p.refs.every((ref) => ref === "mapped")).sort(byPss);
  const named = [...holding, ...mappedOnly].slice(0, MAX_PROCESSES).sort(byPss);
  return {
    devices: devices.slice(0, 8),
    pssKb: found.reduce((sum, p) => sum + p.pssKb, 0),
    processes: named,
    scannedProcesses: pids.length,
    unreadableProcesses: unreadable,
    scanMs: Math.round((performance.now() - started) * 10) / 10,
    atUsec: monotonicUsec().toString(),
  };
}
