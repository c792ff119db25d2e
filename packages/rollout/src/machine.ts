/**
 * The three state machines of a rollout: an enum of states and a table of allowed
 * transitions each. The engine applies a transition and records it (time, reason, actor).
 */
export const rolloutStatuses = ["running", "paused", "awaiting-approval", "halted", "completed", "aborted"] as const;
export type RolloutStatus = (typeof rolloutStatuses)[number];

export const batchStatuses = ["pending", "running", "settling", "done", "cancelled"] as const;
export type BatchStatus = (typeof batchStatuses)[number];

export const nodeStatuses = [
  "pending",
  "staging",
  "staged",
  "rebooting",
  "rolling-back",
  "succeeded",
  "failed",
  "rolled-back",
  "skipped",
  "cancelled",
] as const;
export type NodeStatus = (typeof nodeStatuses)[number];

/** A node the rollout has taken down: rebooting, or rolling back to the image it ran before. */
export function isNodeDown(status: string): boolean {
  return status === "rebooting" || status === "rolling-back";
}

export interface StatusOf {
  rollout: RolloutStatus;
  batch: BatchStatus;
  node: NodeStatus;
}
export type MachineKind = keyof StatusOf;

const allowed: { [K in MachineKind]: Record<StatusOf[K], readonly StatusOf[K][]> } = {
  rollout: {
    running: ["paused", "awaiting-approval", "halted", "completed", "aborted"],
    paused: ["running", "halted", "aborted"],
    "awaiting-approval": ["running", "paused", "aborted"],
    halted: ["running", "aborted"],
    completed: [],
    aborted: [],
  },
  batch: {
    pending: ["running", "cancelled"],
    running: ["settling", "cancelled"],
    settling: ["done", "cancelled"],
    done: [],
    cancelled: [],
  },
  node: {
    // A rollback rollout sends its pending nodes straight back to the image they ran before.
    pending: ["staging", "rebooting", "rolling-back", "failed", "skipped", "cancelled"],
    // Staging: the agent downloads, checks and mounts the plan's image at /run/nextroot.
    staging: ["staged", "failed", "cancelled"],
    staged: ["rebooting", "failed", "cancelled"],
    // A node that failed its gate goes back to the image it ran before, when the plan says so.
    rebooting: ["succeeded", "failed", "rolling-back"],
    "rolling-back": ["rolled-back", "failed"],
    "rolled-back": [],
    succeeded: [],
    failed: [],
    skipped: [],
    cancelled: [],
  },
};

export class TransitionError extends Error {
  readonly code = "forbidden-transition";
  constructor(
    readonly kind: MachineKind,
    readonly from: string,
    readonly to: string,
  ) {
    super(`a ${kind} cannot go from ${from} to ${to}`);
    this.name = "TransitionError";
  }
}

export function canTransition<K extends MachineKind>(kind: K, from: StatusOf[K], to: StatusOf[K]): boolean {
  return (allowed[kind][from] as readonly string[]).includes(to);
}

/** `to`, when the table allows it; throws a TransitionError otherwise. */
export function transition<K extends MachineKind>(kind: K, from: StatusOf[K], to: StatusOf[K]): StatusOf[K] {
  if (!canTransition(kind, from, to)) throw new TransitionError(kind, from, to);
  return to;
}

export function isTerminal<K extends MachineKind>(kind: K, status: StatusOf[K]): boolean {
  return allowed[kind][status].length === 0;
}

/** The statuses of a rollout that is not over: the engine steps it, the UI offers actions. */
export const unfinishedRolloutStatuses: readonly RolloutStatus[] = rolloutStatuses.filter(
  (status) => !isTerminal("rollout", status),
);

/** Only a running rollout starts batches and reboots. */
export function mayStartReboots(status: RolloutStatus): boolean {
  return status === "running";
}

export type UserAction = "pause" | "resume" | "approve" | "abort";

const userTransitions: Record<UserAction, { from: readonly RolloutStatus[]; to: RolloutStatus }> = {
  pause: { from: ["running", "awaiting-approval"], to: "paused" },
  resume: { from: ["paused", "halted"], to: "running" },
  approve: { from: ["awaiting-approval"], to: "running" },
  abort: { from: ["running", "paused", "awaiting-approval", "halted"], to: "aborted" },
};

const articles: Record<RolloutStatus, string> = {
  running: "a running",
  paused: "a paused",
  "awaiting-approval": "a",
  halted: "a halted",
  completed: "a completed",
  aborted: "an aborted",
};

/** What a user's button does to a rollout in `status`, or why it cannot. */
export function applyUserAction(status: RolloutStatus, action: UserAction): { to: RolloutStatus } | { error: string } {
  const rule = userTransitions[action];
  if (rule.from.includes(status)) return { to: rule.to };
  const what = status === "awaiting-approval" ? "rollout awaiting approval" : "rollout";
  return { error: `cannot ${action} ${articles[status]} ${what}` };
}
