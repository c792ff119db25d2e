/**
 * The rollout page's query and live messages, shared by the server and the
 * browser (plain data and zod only: the browser bundle imports this module).
 * A page shows one page of the rollout's nodes (in their batches' order,
 * filtered by state) and the counts of all of them: a rollout of 10,000 nodes
 * is not sent whole. After the first message, a page receives only the rows
 * that changed or entered it, the transitions that are new, and the rollout's
 * own fields (counts included) when they moved.
 */
import { nodeStatuses } from "@softfleet/rollout";
import { z } from "zod";
import { pageFields } from "./paging";

export { MAX_PAGE } from "./paging";

/** A rollout node's states, in the engine's order. */
export const ROLLOUT_NODE_STATUSES = nodeStatuses;

export const ROLLOUT_PAGE_SIZES = [25, 50, 100, 200] as const;

/** The rollout page: which rollout, which nodes (a state, or all), and which page of them. */
export const rolloutViewQuery = z.object({
  id: z.string().trim().min(1, "must not be empty").max(64, "is too long"),
  status: z.enum(ROLLOUT_NODE_STATUSES).optional(),
  ...pageFields(ROLLOUT_PAGE_SIZES, 50),
});
export type RolloutViewQuery = z.infer<typeof rolloutViewQuery>;
export type RolloutViewQueryInput = z.input<typeof rolloutViewQuery>;

/** How a rollout's nodes (or a batch's) stand, as the progress bars count them. */
export interface NodeCounts {
  total: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
  skipped: number;
  rebooting: number;
  staging: number;
  cancelled: number;
}

/** What a rollout view must have for deltas: its page's nodes by id, its transitions newest first. */
export interface RolloutViewShape {
  nodes: Array<{ nodeId: string }>;
  transitions: Array<{ id: string }>;
}

export interface RolloutViewDelta<V extends RolloutViewShape> {
  /** The view's other fields, when any of them changed (all of them, then: they are small). */
  fields: Omit<V, "nodes" | "transitions"> | null;
  /** Changed nodes, and nodes that entered the page, by their id. */
  nodes: V["nodes"];
  /** The page's node ids in order, when they are not the same ids in the same order as before. */
  order: string[] | null;
  /** Transitions newer than the newest one sent. */
  transitions: V["transitions"];
}

export type RolloutMessage<V extends RolloutViewShape> =
  | { kind: "snapshot"; view: V }
  | { kind: "delta"; delta: RolloutViewDelta<V> };

/** How many transitions a view carries, the newest (the rollout page lists the last 500). */
export const VIEW_TRANSITIONS = 500;

/** Compares as the browser would see it: dates as their time (superjson keeps them Dates). */
const same = (a: unknown, b: unknown) =>
  JSON.stringify(a, (_, v) => (v instanceof Date ? v.getTime() : v)) ===
  JSON.stringify(b, (_, v) => (v instanceof Date ? v.getTime() : v));

function withoutLists<V extends RolloutViewShape>(view: V): Omit<V, "nodes" | "transitions"> {
  const { nodes: _nodes, transitions: _transitions, ...fields } = view;
  return fields;
}

export function rolloutViewDelta<V extends RolloutViewShape>(before: V, after: V): RolloutViewDelta<V> | null {
  const old = new Map(before.nodes.map((n) => [n.nodeId, n]));
  const nodes = after.nodes.filter((n) => !same(old.get(n.nodeId), n)) as V["nodes"];
  const sameOrder =
    before.nodes.length === after.nodes.length && after.nodes.every((n, i) => before.nodes[i]!.nodeId === n.nodeId);
  const order = sameOrder ? null : after.nodes.map((n) => n.nodeId);
  const newest = before.transitions[0]?.id;
  const cut = newest === undefined ? after.transitions.length : after.transitions.findIndex((t) => t.id === newest);
  const transitions = after.transitions.slice(0, cut === -1 ? after.transitions.length : cut) as V["transitions"];
  const fieldsBefore = withoutLists(before);
  const fieldsAfter = withoutLists(after);
  const fields = same(fieldsBefore, fieldsAfter) ? null : fieldsAfter;
  if (fields === null && nodes.length === 0 && order === null && transitions.length === 0) return null;
  return { fields, nodes, order, transitions };
}

export function applyRolloutViewDelta<V extends RolloutViewShape>(view: V, delta: RolloutViewDelta<V>): V {
  const changed = new Map(delta.nodes.map((n) => [n.nodeId, n]));
  const had = new Map(view.nodes.map((n) => [n.nodeId, n]));
  const nodes = delta.order
    ? delta.order.flatMap((id) => {
        const node = changed.get(id) ?? had.get(id);
        return node ? [node] : [];
      })
    : view.nodes.map((n) => changed.get(n.nodeId) ?? n);
  return {
    ...view,
    ...(delta.fields ?? {}),
    nodes,
    transitions: [...delta.transitions, ...view.transitions].slice(0, VIEW_TRANSITIONS),
  } as V;
}
