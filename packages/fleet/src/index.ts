export {
  COMMAND_TTL_MS,
  connectedNodesToReconcile,
  markCommandSent,
  requestSoftReboot,
  takePendingCommands,
} from "./commands";
export { formatNodeCredential, hashSecret, newSecret, parseNodeCredential, secretMatches } from "./credentials";
export { createEnrollmentToken, EnrollmentError, enrollNode } from "./enrollment";
export { applyHeartbeat, applyHello, applyState, markOffline, storeEvent, sweepStaleNodes } from "./ingest";
export {
  CHANGES_CHANNEL,
  type Change,
  CONTROL_CHANNEL,
  type ControlSignal,
  changeSchema,
  controlSignalSchema,
  notifyChange,
  notifyControl,
  parseNotification,
} from "./notify";
export { type PhaseDurations, type PhaseTimestamps, phaseDurations } from "./phases";
export * from "./reports";
export * from "./rollouts";
