export type { Action, Decision } from "./actions";
export { type Applied, applyActions, applyUserActionToSnapshot } from "./apply";
export { type BatchKind, batchSize, type PlannedBatch, planBatches } from "./batches";
export { decide, thresholdExceeded } from "./decide";
export {
  evaluateGate,
  type FactsBefore,
  type GateInput,
  type GateResult,
  type RebootOutcome,
  type UnitActivity,
} from "./gate";
export { checkInvariants, type Moment, type Violation } from "./invariants";
export {
  applyUserAction,
  type BatchStatus,
  batchStatuses,
  canTransition,
  isNodeDown,
  isTerminal,
  type MachineKind,
  mayStartReboots,
  type NodeStatus,
  nodeStatuses,
  type RolloutStatus,
  rolloutStatuses,
  type StatusOf,
  TransitionError,
  transition,
  type UserAction,
  unfinishedRolloutStatuses,
} from "./machine";
export {
  isTimeZone,
  type MaintenanceWindow,
  maintenanceWindow,
  type RolloutPlan,
  type RolloutPlanInput,
  rolloutPlan,
  type Weekday,
  weekdays,
} from "./plan";
export { fieldLabel, issuesFromZodError, type PlanIssue, parsePlanForGroup, validatePlanForGroup } from "./plan-issues";
export { type Blocker, checkPreconditions, type NodeReadiness, type PreconditionResult } from "./preconditions";
export {
  type Actor,
  countFailures,
  type NodeFacts,
  type RolloutBatch,
  type RolloutNode,
  type RolloutSnapshot,
  type StageOutcome,
  type TransitionRecord,
} from "./snapshot";
export { initialSnapshot } from "./start";
export { isInWindow, nextWindowOpening, wallClock } from "./window";
