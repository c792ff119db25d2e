import type { Action } from "./actions";
import { applyUserAction, isTerminal, type NodeStatus, transition, type UserAction } from "./machine";
import { type Actor, countFailures, type RolloutNode, type RolloutSnapshot, type TransitionRecord } from "./snapshot";

const ENGINE: Actor = { kind: "engine" };

/** The status each action that ends a step of a node moves it to. */
const endOf = {
  "node-staged": "staged",
  "node-rolled-back": "rolled-back",
  "node-succeeded": "succeeded",
  "node-failed": "failed",
  "node-skipped": "skipped",
} as const satisfies Partial<Record<Action["type"], NodeStatus>>;

export interface Applied {
  snapshot: RolloutSnapshot;
  transitions: TransitionRecord[];
}

/**
 * Where each node is in a snapshot's `nodes`, by id. Nodes never move, so a
 * snapshot made by applyActions shares its source's: decide() applies its
 * actions step by step, and 10,000 nodes are indexed once, not at each.
 */
const positions = new WeakMap<readonly RolloutNode[], ReadonlyMap<string, number>>();

function positionsOf(nodes: readonly RolloutNode[]): ReadonlyMap<string, number> {
  let found = positions.get(nodes);
  if (!found) {
    found = new Map(nodes.map((n, i) => [n.nodeId, i]));
    positions.set(nodes, found);
  }
  return found;
}

/**
 * The actions applied to a copy of the snapshot, with the transitions to record: what the
 * engine does in its transaction, as plain data. Throws a TransitionError for an action the
 * state machines forbid. A `reboot-node` also takes the node's boot as its facts before.
 */
export function applyActions(
  snapshot: RolloutSnapshot,
  actions: readonly Action[],
  now: Date,
  actor: Actor = ENGINE,
): Applied {
  // Nodes are copied when an action changes them, not all: a step of a 10,000-node rollout moves a few
  // hundred at most. The result shares the others with `snapshot`; neither is changed after.
  const s: RolloutSnapshot = {
    rollout: { ...snapshot.rollout },
    batches: snapshot.batches.map((b) => ({ ...b })),
    nodes: snapshot.nodes.slice(),
    ...(snapshot.externalHolds ? { externalHolds: snapshot.externalHolds } : {}),
  };
  const transitions: TransitionRecord[] = [];
  const record = (machine: TransitionRecord["machine"], subject: string, from: string, to: string, reason: string) =>
    transitions.push({ machine, subject, from, to, at: now, reason, actor });

  const batch = (index: number) => {
    const found = s.batches.find((b) => b.index === index);
    if (!found) throw new Error(`no batch ${index} in rollout ${s.rollout.id}`);
    return found;
  };
  const known = positions.get(snapshot.nodes);
  if (known) positions.set(s.nodes, known);
  let indexById: ReadonlyMap<string, number> | null = null;
  const copied = new Set<number>();
  const node = (nodeId: string) => {
    indexById ??= positionsOf(snapshot.nodes);
    positions.set(s.nodes, indexById);
    const i = indexById.get(nodeId);
    if (i === undefined) throw new Error(`no node ${nodeId} in rollout ${s.rollout.id}`);
    if (!copied.has(i)) {
      s.nodes[i] = { ...s.nodes[i]! };
      copied.add(i);
    }
    return s.nodes[i]!;
  };
  /** Moves a node, recording it; a move that sends a command (to stage, reboot or roll back) forgets the last one's answer. */
  const moveNode = (nodeId: string, to: NodeStatus, reason: string) => {
    const n = node(nodeId);
    record("node", n.nodeId, n.status, transition("node", n.status, to), reason);
    n.status = to;
    if (to === "staging" || to === "rebooting" || to === "rolling-back") {
      n.commandOutcome = null;
      n.commandReason = null;
    }
    return n;
  };
  const moveRollout = (to: RolloutSnapshot["rollout"]["status"], reason: string) => {
    record("rollout", s.rollout.id, s.rollout.status, transition("rollout", s.rollout.status, to), reason);
    s.rollout.status = to;
  };

  for (const action of actions) {
    switch (action.type) {
      case "start-batch": {
        const b = batch(action.batchIndex);
        record("batch", String(b.index), b.status, transition("batch", b.status, "running"), action.reason);
        b.status = "running";
        b.startedAt = now;
        break;
      }
      case "finish-batch":
      case "batch-settled": {
        const b = batch(action.batchIndex);
        const to = action.type === "finish-batch" ? "settling" : "done";
        record("batch", String(b.index), b.status, transition("batch", b.status, to), action.reason);
        b.status = to;
        if (to === "settling") b.finishedAt = now;
        break;
      }
      case "reboot-node": {
        const n = moveNode(action.nodeId, "rebooting", action.reason);
        n.rebootStartedAt = now;
        n.before = {
          bootId: n.facts.bootId,
          softRebootsCount: n.facts.softRebootsCount,
          imageVersion: n.facts.imageVersion,
        };
        n.record = null;
        n.blockedSince = null;
        n.blockedBy = null;
        break;
      }
      case "stage-node": {
        const n = moveNode(action.nodeId, "staging", action.reason);
        n.stage = { startedAt: now, result: null };
        break;
      }
      case "rollback-node": {
        const n = moveNode(action.nodeId, "rolling-back", action.reason);
        n.rollbackVersion = action.version;
        n.rebootStartedAt = now;
        // Its boot now (after the failed reboot) is what the rollback's record is judged against.
        n.before = {
          bootId: n.record?.bootIdAfter ?? n.facts.bootId,
          softRebootsCount: n.record?.softRebootsCountAfter ?? n.facts.softRebootsCount,
          imageVersion: n.record?.imageVersionAfter ?? n.facts.imageVersion,
        };
        n.record = null;
        break;
      }
      case "node-blocked": {
        const n = node(action.nodeId);
        n.blockedSince = now;
        n.blockedBy = action.reason;
        break;
      }
      case "node-staged":
      case "node-rolled-back":
      case "node-succeeded":
      case "node-failed":
      case "node-skipped":
        moveNode(action.nodeId, endOf[action.type], action.reason);
        break;
      case "await-approval":
        moveRollout("awaiting-approval", action.reason);
        break;
      case "halt":
        moveRollout("halted", action.reason);
        break;
      case "complete":
        moveRollout("completed", action.reason);
        break;
      case "cancel-pending-nodes":
        for (const n of s.nodes.filter((n) => ["pending", "staging", "staged"].includes(n.status))) {
          moveNode(n.nodeId, "cancelled", action.reason);
        }
        for (const b of s.batches.filter((b) => !isTerminal("batch", b.status))) {
          record("batch", String(b.index), b.status, transition("batch", b.status, "cancelled"), action.reason);
          b.status = "cancelled";
        }
        break;
    }
  }
  return { snapshot: s, transitions };
}

const userReasons: Record<UserAction, string> = {
  pause: "paused by a user",
  resume: "resumed by a user",
  approve: "approved by a user after the canary",
  abort: "aborted by a user",
};

/**
 * A user's button applied to the snapshot. Approving records when; resuming a halted
 * rollout acknowledges the failures so far, so the threshold counts only new ones.
 */
export function applyUserActionToSnapshot(
  snapshot: RolloutSnapshot,
  action: UserAction,
  now: Date,
  actor: Extract<Actor, { kind: "user" }>,
): Applied | { error: string } {
  const from = snapshot.rollout.status;
  const result = applyUserAction(from, action);
  if ("error" in result) return result;
  const rollout = { ...snapshot.rollout, status: result.to };
  if (action === "approve") rollout.approvedAt = now;
  if (action === "resume" && from === "halted") rollout.failuresAcknowledged = countFailures(snapshot);
  return {
    snapshot: { ...snapshot, rollout },
    transitions: [
      { machine: "rollout", subject: rollout.id, from, to: result.to, at: now, reason: userReasons[action], actor },
    ],
  };
}
