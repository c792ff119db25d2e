import type { Db } from "@softfleet/db";
import { parseDatabaseUrl } from "@softfleet/db";
import {
  CHANGES_CHANNEL,
  type Change,
  CONTROL_CHANNEL,
  type ControlSignal,
  changeSchema,
  controlSignalSchema,
  FrozenNodesCache,
  liveRowsCache,
  stepRollout,
  unfinishedRolloutStatuses,
  warmUpStep,
} from "@softfleet/fleet";
import pg from "pg";
import { listen } from "../gateway/listen";

/** Any fixed 64-bit number: the advisory lock that makes one engine act at a time. */
export const ENGINE_LOCK_KEY = 0x50f7f1ee7;
const ACTIVE = [...unfinishedRolloutStatuses];

export interface StepInfo {
  rolloutId: string;
  actions: number;
  /** The kinds of action taken (start-batch, reboot-node, node-succeeded, ...). */
  kinds: string[];
  timings: { loadMs: number; decideMs: number; persistMs: number } | null;
  commanded: number;
  status: string | null;
  durationMs: number;
  /** Reboots it commanded that this step failed (softfleet_reboots_total{outcome="failed"}). */
  failedReboots: number;
}

export interface EngineOptions {
  db: Db;
  databaseUrl: string;
  log: (line: string) => void;
  /** How often a standby engine tries to take over, and the leader looks without being woken. */
  pollMs?: number;
  now?: () => Date;
  /** Each step that did something: for tests and the benchmark. */
  onStep?: (info: StepInfo) => void;
  /** When this engine starts or stops leading. */
  onLeading?: (leading: boolean) => void;
}

export interface RolloutEngine {
  readonly leading: boolean;
  /** Steps every unfinished rollout now (as a notification would). */
  wake(): void;
  close(): Promise<void>;
}

/**
 * The rollout engine. State lives in Postgres; the engine only steps it: on
 * every change that can matter (a node's state, an event, a command's answer,
 * a user's action, all by LISTEN/NOTIFY), when a timer of a rollout falls due,
 * and every `pollMs` as a backstop. Each step is one transaction holding the
 * rollout's row lock, so a process killed at any point leaves either the
 * whole step or none of it. Among several control processes exactly one acts:
 * the one holding a session-level advisory lock; when its connection dies the
 * lock goes with it and a standby takes over within `pollMs`.
 */
/** setTimeout's longest wait; a longer one overflows and fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The changes a rollout step may answer: a node's status or state, a
 * command's answer or a stage's progress, a reboot record. Other events
 * (logind's signal, a command's answer as an event) come with a node or
 * command change of their own when they change anything.
 */
export function mattersToRollouts(change: Change): boolean {
  if (change.entity === "node" || change.entity === "command") return true;
  return change.entity === "node-event" && change.type === "reboot-record";
}

/** The node a change is about, if any. */
function nodeOf(change: Change): string | null {
  if (change.entity === "node") return change.id;
  if (change.entity === "node-event" || change.entity === "command") return change.nodeId;
  return null;
}

export async function startRolloutEngine(options: EngineOptions): Promise<RolloutEngine> {
  const { db, log } = options;
  const pollMs = options.pollMs ?? 2000;
  const now = options.now ?? (() => new Date());
  let closed = false;
  let leading = false;
  let lockClient: pg.Client | null = null;
  let listeners: Array<{ close(): Promise<void> }> = [];
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  /** Whether the last look found rollouts to step: with none, a fleet's changes need no step. */
  let anyActive = true;
  /** The rollouts' frozen nodes (ids, hostnames, batches), read once each. */
  const frozen = new FrozenNodesCache();
  /** Their nodes' live rows, read again when a change is announced (see LiveRowsCache). */
  const liveRows = liveRowsCache();

  const wake = () => {
    if (!leading || closed) return;
    if (running) {
      again = true;
      return;
    }
    running = stepAll()
      .catch((error: Error) => log(`rollout engine: ${error.message}`))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          wake();
        }
      });
  };

  async function stepAll() {
    // Unfinished, or aborted with reboots still in flight (they finish and are judged).
    const active = await db.rollout.findMany({
      where: { OR: [{ status: { in: ACTIVE } }, { nodes: { some: { active: true } } }] },
      select: { id: true },
    });
    anyActive = active.length > 0;
    let earliest: Date | null = null;
    for (const { id } of active) {
      if (!leading || closed) return;
      const started = performance.now();
      const step = await db
        .$transaction((tx) => stepRollout(tx, id, now(), { frozen, liveRows }), { timeout: 30_000 })
        .catch((error: unknown) => {
          // What the step kept as written was not committed: the next step reads the rollout afresh.
          frozen.forget(id);
          liveRows.forget(id);
          throw error;
        });
      if (step.actions > 0) {
        options.onStep?.({
          rolloutId: id,
          actions: step.actions,
          kinds: step.kinds,
          timings: step.timings,
          commanded: step.commanded.length,
          failedReboots: step.failedReboots,
          status: step.status,
          durationMs: performance.now() - started,
        });
      }
      if (step.wakeAt && (!earliest || step.wakeAt < earliest)) earliest = step.wakeAt;
    }
    if (timer) clearTimeout(timer);
    timer = null;
    if (earliest) {
      // A wait past setTimeout's 2^31-1 ms would fire at once, in a loop: wake earlier and wait again.
      timer = setTimeout(wake, Math.min(Math.max(0, earliest.getTime() - now().getTime()) + 5, MAX_TIMER_MS));
    }
  }

  const onChange = (change: Change) => {
    const nodeId = nodeOf(change);
    if (nodeId) liveRows.changed(nodeId);
    // A new rollout or a user's action comes on the control channel (onControl), and the engine's own
    // writes announce rollouts: those need no step. With no rollout under way, nothing in the fleet
    // does either (the poll still looks every pollMs).
    if (!anyActive || !mattersToRollouts(change)) return;
    wake();
  };
  const onControl = (signal: ControlSignal) => {
    if (signal.kind !== "rollout") return;
    // A user's action may have changed its nodes' rows outside a step (an inhibitor override).
    liveRows.forget(signal.id);
    wake();
  };
  // What was announced while a LISTEN was down is unknown: every kept row is read again.
  const listening = () => {
    liveRows.clear();
    wake();
  };

  async function lead() {
    listeners = [
      // A change missed while a LISTEN was down is caught up by the step after it is back.
      await listen(options.databaseUrl, CHANGES_CHANNEL, {
        schema: changeSchema,
        onMessage: onChange,
        onListening: listening,
        log,
      }),
      await listen(options.databaseUrl, CONTROL_CHANNEL, {
        schema: controlSignalSchema,
        onMessage: onControl,
        onListening: listening,
        log,
      }),
    ];
    // The first rollout step after a start would otherwise pay for cold connections and plans.
    await db
      .$transaction((tx) => warmUpStep(tx))
      .catch((error: Error) => log(`rollout engine: warm-up failed: ${error.message}`));
    leading = true;
    options.onLeading?.(true);
    log("rollout engine: leading (this process steps the rollouts)");
    wake();
  }

  async function stepDown(reason: string) {
    if (!leading) return;
    leading = false;
    // Another engine may step the rollouts meanwhile: nothing kept holds after this.
    liveRows.clear();
    options.onLeading?.(false);
    log(`rollout engine: standing by (${reason})`);
    if (timer) clearTimeout(timer);
    timer = null;
    const closing = listeners;
    listeners = [];
    await Promise.all(closing.map((l) => l.close()));
  }

  async function tryToLead() {
    if (closed || leading) return;
    try {
      if (!lockClient) {
        const client = new pg.Client({
          ...parseDatabaseUrl(options.databaseUrl),
          application_name: "softfleet-control engine lock",
        });
        client.on("error", (error) => {
          if (lockClient === client) lockClient = null;
          client.end().catch(() => {});
          void stepDown(`lost the database connection holding the lock: ${error.message}`);
        });
        await client.connect();
        lockClient = client;
      }
      const { rows } = await lockClient.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        ENGINE_LOCK_KEY,
      ]);
      if (rows[0]?.locked && !closed) await lead();
    } catch (error) {
      log(`rollout engine: cannot take the lock: ${(error as Error).message}`);
    }
  }

  const ticker = setInterval(() => {
    if (leading) wake();
    else void tryToLead();
  }, pollMs);
  await tryToLead();

  return {
    get leading() {
      return leading;
    },
    wake,
    async close() {
      closed = true;
      clearInterval(ticker);
      await stepDown("stopping");
      await running?.catch(() => {});
      await lockClient?.end().catch(() => {});
      lockClient = null;
    },
  };
}
