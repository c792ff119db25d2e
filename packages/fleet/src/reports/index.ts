export { unknownPhaseNote, whyNoTotal } from "./explain";
export {
  type FleetReport,
  fleetReport,
  fleetReportRows,
  keepFleetReportFacts,
  lastDaysRange,
  type ReportRange,
  rebootsSql,
  trendBucketOf,
} from "./fleet";
export { NODE_HISTORY_LIMIT, type NodeHistory, type NodeHistoryRow, nodeHistory } from "./node";
export type { ClientGapRow, PayloadStats, PinnedNodeRow, SurvivorUnitRow } from "./payloads";
export {
  type RolloutPhaseStats,
  type RolloutReport,
  type RolloutReportNode,
  rolloutPayloadStats,
  rolloutReport,
} from "./rollout";
export { groupNodesSql } from "./scope";
export type { ServiceRow } from "./services";
export { SPAN_WINDOW } from "./spans";
export {
  type HistogramBucket,
  niceStep,
  niceStepSql,
  PHASES,
  type Phase,
  type PhaseStat,
  type PhaseStats,
  REBOOT_TYPES,
  type RebootRow,
  type RebootType,
} from "./sql";
