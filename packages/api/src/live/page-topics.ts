import type { Db, Role } from "@softfleet/db";
import type { FleetChange } from "@softfleet/fleet";
import { readNodeView } from "../domain/nodes";
import { readRolloutList, readRolloutView } from "../domain/rollout-views";
import { type RolloutMessage, type RolloutViewQuery, rolloutViewDelta } from "../rollout-view";
import type { Topic } from "./stream";

/** What changed about one node: the node itself, its events (reboot records come as events), its commands. */
interface NodePending {
  node: boolean;
  events: boolean;
  commands: boolean;
}

export type NodeMessage = {
  /** The node as its page shows it, when it changed (null: it was deleted); absent when it did not. */
  node?: Awaited<ReturnType<typeof readNodeView>>;
  /** Its event timeline (and so its reboot records and cycles) has new entries. */
  events: boolean;
  /** Its commands changed. */
  commands: boolean;
};

/** A node page: that node's row itself, and whether its events or commands moved. Nothing about other nodes. */
export function nodeTopic(db: Db, nodeId: string, role: Role): Topic<NodePending, NodeMessage> {
  return {
    empty: () => ({ node: false, events: false, commands: false }),
    collect(pending, change: FleetChange) {
      if (change.entity === "node" && change.id === nodeId) pending.node = true;
      else if (change.entity === "node-event" && change.nodeId === nodeId) {
        // An event changes the node's identity and units with it (a reboot record, a new boot).
        pending.events = true;
        pending.node = true;
      } else if (change.entity === "command" && change.nodeId === nodeId) pending.commands = true;
    },
    dirty: (p) => p.node || p.events || p.commands,
    async compute(pending) {
      const start = pending === "start";
      const message: NodeMessage = {
        events: start || pending.events,
        commands: start || pending.commands,
      };
      if (start || pending.node) message.node = await readNodeView(db, nodeId, role);
      return message;
    },
  };
}

type RolloutView = Awaited<ReturnType<typeof readRolloutView>>;

/**
 * A rollout page: that rollout as the page shows it (its counts, and the page
 * of nodes it asked for), when it or one of its nodes changed: the whole view
 * first, then only its changed rows, new transitions and moved fields (a
 * 10,000-node rollout is never sent whole).
 */
export function rolloutTopic(
  db: Db,
  query: RolloutViewQuery,
  nodeIds: ReadonlySet<string>,
): Topic<{ dirty: boolean }, RolloutMessage<RolloutView>> {
  const rolloutId = query.id;
  let last: RolloutView | null = null;
  return {
    empty: () => ({ dirty: false }),
    collect(pending, change: FleetChange) {
      if (change.entity === "rollout") pending.dirty ||= change.id === rolloutId;
      else if (change.entity === "node") pending.dirty ||= nodeIds.has(change.id);
      // Events bring reboot records; commands a stage command's progress (the staging bars).
      else pending.dirty ||= nodeIds.has(change.nodeId);
    },
    dirty: (p) => p.dirty,
    async compute(pending) {
      const view = await readRolloutView(db, query);
      const before = last;
      last = view;
      if (pending === "start" || before === null) return { kind: "snapshot", view };
      const delta = rolloutViewDelta(before, view);
      return delta ? { kind: "delta", delta } : null;
    },
  };
}

/** The rollouts page: the list, when a rollout changed. */
export function rolloutsTopic(
  db: Db,
  limit: number,
): Topic<{ dirty: boolean }, Awaited<ReturnType<typeof readRolloutList>>> {
  return {
    empty: () => ({ dirty: false }),
    collect(pending, change: FleetChange) {
      if (change.entity === "rollout") pending.dirty = true;
    },
    dirty: (p) => p.dirty,
    compute: () => readRolloutList(db, limit),
  };
}
