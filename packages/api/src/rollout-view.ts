/**
 * The rollout page's live messages, shared by the server and the browser
 * (plain data only: the browser bundle imports this module). A rollout of
 * 10,000 nodes is one view of 10,000 rows: after the first message, a page
 * receives only the rows that changed, the transitions that are new, and the
 * rollout's own fields when they moved.
 */

/** What a rollout view must have for deltas: its nodes by id, its transitions newest first. */
export interface RolloutViewShape {
  nodes: Array<{ nodeId: string }>;
  transitions: Array<{ id: string }>;
}

export interface RolloutViewDelta<V extends RolloutViewShape> {
  /** The view's other fields, when any of them changed (all of them, then: they are small). */
  fields: Omit<V, "nodes" | "transitions"> | null;
  /** Changed nodes, by their id. */
  nodes: V["nodes"];
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
  const newest = before.transitions[0]?.id;
  const cut = newest === undefined ? after.transitions.length : after.transitions.findIndex((t) => t.id === newest);
  const transitions = after.transitions.slice(0, cut === -1 ? after.transitions.length : cut) as V["transitions"];
  const fieldsBefore = withoutLists(before);
  const fieldsAfter = withoutLists(after);
  const fields = same(fieldsBefore, fieldsAfter) ? null : fieldsAfter;
  if (fields === null && nodes.length === 0 && transitions.length === 0) return null;
  return { fields, nodes, transitions };
}

export function applyRolloutViewDelta<V extends RolloutViewShape>(view: V, delta: RolloutViewDelta<V>): V {
  const changed = new Map(delta.nodes.map((n) => [n.nodeId, n]));
  return {
    ...view,
    ...(delta.fields ?? {}),
    nodes: view.nodes.map((n) => changed.get(n.nodeId) ?? n),
    transitions: [...delta.transitions, ...view.transitions].slice(0, VIEW_TRANSITIONS),
  } as V;
}
