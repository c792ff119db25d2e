import type { Api } from "./api";
import { EXIT } from "./errors";
import {
  countsLine,
  downtimeLine,
  exitCodeOf,
  FINISHED,
  headerLine,
  type NodePhases,
  outcomeLines,
  phasesLine,
  type RolloutSnapshot,
  transitionLine,
} from "./progress";

export interface WatchOptions {
  json: boolean;
  /** Print every node's phases, not only a small rollout's (over SMALL_ROLLOUT nodes, failures only). */
  verbose: boolean;
  /** Give up (exit 4) after this many seconds; 0: never. */
  timeoutSec: number;
  intervalMs?: number;
  /** Transitions from before the watch began to show first. */
  history?: number;
}

export type Print = (line: string) => void;

const NODE_ENDS = ["succeeded", "failed", "rolled-back"];
/** Up to this many nodes, every node's phases are printed as it finishes. */
const SMALL_ROLLOUT = 50;
/** Lost contact this long in a row: the watch fails (a pipeline must not hang on a dead server). */
const GIVE_UP_AFTER_MS = 120_000;

/**
 * Follows a rollout until it ends: its transitions as they happen, its
 * progress when it moves, and each finished node's downtime phases. Returns
 * the exit code: 0 completed, 2 halted, 3 aborted, 4 timed out.
 */
export async function watchRollout(api: Api, id: string, print: Print, options: WatchOptions): Promise<number> {
  const interval = options.intervalMs ?? 1_000;
  const started = Date.now();
  const emit = (event: Record<string, unknown>, line?: string) => {
    if (options.json) print(JSON.stringify(event));
    else if (line !== undefined) print(line);
  };
  let lastTransition: bigint | null = null;
  let lastCounts = "";
  let askedApproval = false;
  const phasesShown = new Set<string>();
  /** Nodes whose end this watch has printed: their phases follow it, never precede it. */
  const ended = new Set<string>();
  let lastFailure = 0;
  for (;;) {
    let rollout: RolloutSnapshot;
    try {
      rollout = (await api.rollouts.get.query({ id, pageSize: 25 })) as RolloutSnapshot;
      lastFailure = 0;
    } catch (error) {
      const code = (error as { data?: { code?: string } }).data?.code;
      if (code) throw error; // The server answered: not found, not authorized... retrying will not help.
      lastFailure ||= Date.now();
      if (Date.now() - lastFailure > GIVE_UP_AFTER_MS) throw error;
      emit(
        { type: "retrying", error: (error as Error).message },
        `  (lost contact: ${(error as Error).message}; retrying)`,
      );
      await sleep(Math.min(interval * 5, 10_000));
      continue;
    }
    if (lastTransition === null) {
      emit(
        { type: "rollout", id: rollout.id, group: rollout.groupName, status: rollout.status, counts: rollout.counts },
        headerLine(rollout),
      );
    }
    const fresh = rollout.transitions
      .filter((t) => lastTransition === null || BigInt(t.id) > lastTransition)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const shown = lastTransition === null && options.history !== undefined ? fresh.slice(-options.history) : fresh;
    for (const t of shown) emit({ type: "transition", ...t }, transitionLine(t));
    for (const t of fresh) if (t.machine === "node" && NODE_ENDS.includes(t.to)) ended.add(t.subjectName);
    if (fresh.length) lastTransition = BigInt(fresh[fresh.length - 1]!.id);
    else lastTransition ??= 0n;

    const counts = JSON.stringify(rollout.counts) + rollout.status;
    if (counts !== lastCounts) {
      lastCounts = counts;
      emit({ type: "progress", status: rollout.status, counts: rollout.counts }, countsLine(rollout));
    }
    const finished = FINISHED.has(rollout.status);
    // The report (every node's phases: a big read on a big rollout) is asked for only when it has
    // lines to print: any node's end when every node's phases are shown, else only a failure's.
    const every = showsEveryNode(rollout, options);
    const printable = fresh.some(
      (t) => t.machine === "node" && NODE_ENDS.includes(t.to) && (every || t.to !== "succeeded"),
    );
    const report =
      printable || finished
        ? await printPhases(api, rollout, { shown: phasesShown, ended, all: finished, every }, emit)
        : null;
    if (rollout.status === "awaiting-approval" && !askedApproval) {
      askedApproval = true;
      emit({ type: "awaiting-approval" }, `  waiting for approval: softfleet rollout approve ${rollout.id}`);
    }
    if (rollout.status !== "awaiting-approval") askedApproval = false;
    if (finished) {
      const exitCode = exitCodeOf(rollout.status);
      for (const stat of report?.stats ?? []) {
        if (stat.batchIndex !== null) continue;
        emit({ type: "downtime", ...stat }, downtimeLine(stat));
      }
      emit(
        { type: "result", status: rollout.status, reason: rollout.statusReason, counts: rollout.counts, exitCode },
        outcomeLines(rollout).join("\n"),
      );
      return exitCode;
    }
    if (options.timeoutSec > 0 && Date.now() - started > options.timeoutSec * 1000) {
      emit(
        { type: "result", status: rollout.status, exitCode: EXIT.timedOut, timedOut: true },
        `gave up after --timeout ${options.timeoutSec} s; rollout ${rollout.id} is still ${rollout.status}`,
      );
      return EXIT.timedOut;
    }
    await sleep(interval);
  }
}

/** Every finished node's phases are printed (verbose, NDJSON, a small rollout), or only failures'. */
function showsEveryNode(rollout: RolloutSnapshot, options: WatchOptions): boolean {
  return options.verbose || options.json || rollout.counts.total <= SMALL_ROLLOUT;
}

/** Each finished node's phases once, from the rollout report (the server computes them). */
async function printPhases(
  api: Api,
  rollout: RolloutSnapshot,
  { shown, ended, all, every }: { shown: Set<string>; ended: Set<string>; all: boolean; every: boolean },
  emit: (event: Record<string, unknown>, line?: string) => void,
) {
  const report = await api.reports.rollout.query({ id: rollout.id }).catch(() => null);
  if (!report) return null;
  const done = (report.nodes as NodePhases[]).filter(
    (n) => NODE_ENDS.includes(n.status) && !shown.has(n.nodeId) && (all || ended.has(n.hostname)),
  );
  for (const node of done.sort((a, b) => a.hostname.localeCompare(b.hostname))) {
    shown.add(node.nodeId);
    if (every || node.status !== "succeeded") emit({ type: "node", ...node }, phasesLine(node));
  }
  return report;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
