import { readdir, readFile } from "node:fs/promises";

/** The kernel's clock ticks per second for /proc's CPU times (USER_HZ: 100 on Linux everywhere). */
const TICKS_PER_SEC = 100;

/** utime + stime of one process, in seconds, or null when it is gone. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  // Fields after the command name, which may hold spaces and parentheses: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/** A process and its children (Postgres: the postmaster and its backends), as pids. */
export async function withChildren(pid: number): Promise<number[]> {
  const pids = [pid];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => null);
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : null;
    if (ppid === pid) pids.push(Number(entry));
  }
  return pids;
}

/** VmRSS of a process in MB, or null when it is gone. */
export async function rssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => null);
  const kb = status ? /VmRSS:\s+(\d+) kB/.exec(status)?.[1] : undefined;
  return kb ? Number(kb) / 1024 : null;
}

/**
 * CPU used by groups of processes over a window, as a percentage of one
 * core. A group's pids are listed again at the end, so that backends started
 * meanwhile count from their start (their time before the window is small).
 */
export async function cpuOver(
  groups: Record<string, () => Promise<number[]>>,
  windowMs: number,
): Promise<Record<string, number>> {
  const sum = async (pids: number[]) => {
    const each = new Map<number, number>();
    for (const pid of pids) {
      const seconds = await cpuSeconds(pid);
      if (seconds !== null) each.set(pid, seconds);
    }
    return each;
  };
  const before = new Map<string, Map<number, number>>();
  for (const [name, pids] of Object.entries(groups)) before.set(name, await sum(await pids()));
  const self = process.cpuUsage();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const elapsed = (performance.now() - started) / 1000;
  const result: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    const after = await sum(await pids());
    let used = 0;
    for (const [pid, seconds] of after) used += seconds - (before.get(name)!.get(pid) ?? 0);
    result[name] = Math.round((used / elapsed) * 1000) / 10;
  }
  const own = process.cpuUsage(self);
  result.loadGenerator = Math.round(((own.user + own.system) / 1e6 / elapsed) * 1000) / 10;
  return result;
}
