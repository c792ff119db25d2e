export {
  agentCommandOf,
  applyStageProgress,
  COMMAND_TTL_MS,
  type CommandToSend,
  commandsToSend,
  connectedNodesToReconcile,
  requestSoftReboot,
  requestStage,
  type StagePayload,
  stagePayload,
} from "./commands";
export { formatNodeCredential, hashSecret, newSecret, parseNodeCredential, secretMatches } from "./credentials";
export { type Cycle, type CycleRecord, cyclesOf, journalctlCommand } from "./cycles";
export {
  allowReenrollment,
  createEnrollmentToken,
  EnrollmentError,
  type EnrollmentPath,
  enrollNode,
  REENROLL_WINDOW,
} from "./enrollment";
export * from "./fleetlock";
export { HOSTNAME_PATTERN, HOSTNAME_PATTERN_RULE, hostnameMatches } from "./hostname-pattern";
export {
  applyHello,
  applyState,
  markOffline,
  storeEvent,
  sweepStaleNodes,
} from "./ingest";
export { batchable, type IncomingEvent, type RunStatement, storeEventBatch } from "./ingest-batch";
export {
  CHANGES_CHANNEL,
  type Change,
  CONTROL_CHANNEL,
  type ControlSignal,
  changeSchema,
  controlSignalSchema,
  type FleetChange,
  notifyChange,
  notifyControl,
  parseNotification,
} from "./notify";
export {
  dropExpiredPartitions,
  ensurePartitions,
  ensurePartitionsFor,
  MONTHS_AHEAD,
  monthStart,
  partitionMonths,
  retentionCutoff,
} from "./partitions";
export { type PhaseDurations, type PhaseTimestamps, phaseDurations, phaseTimestampsOf } from "./phases";
export { type Presence, recordPresence } from "./presence";
export * from "./reports";
export * from "./rollouts";
export * from "./webhooks";
