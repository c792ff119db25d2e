export { type CandidateNode, matchClientNode, zincatiClientId } from "./client-node";
export {
  FLEETLOCK_ERROR_STATUS,
  FLEETLOCK_MAX_BODY_BYTES,
  FLEETLOCK_OPERATIONS,
  FleetLockError,
  type FleetLockErrorKind,
  type FleetLockOperation,
  type FleetLockRequest,
  fleetLockRequest,
  LOCK_GROUP_PATTERN,
  parseFleetLockRequest,
} from "./protocol";
export { decideSlot, type SemaphoreState, type SlotDecision, semaphoreFullMessage } from "./semaphore";
export {
  checkSettings,
  disableFleetLock,
  enableFleetLock,
  type FleetLockSettings,
  FleetLockSettingsError,
  MAX_UNAVAILABLE_LIMIT,
  releaseHoldByOperator,
  rotateFleetLockSecret,
  updateFleetLock,
} from "./settings";
export { type FleetLockCall, fleetLockHeldAt, releaseSlot, type SlotAnswer, takeSlot } from "./slots";
export { readGroupFleetLock, readNodeFleetLock } from "./views";
