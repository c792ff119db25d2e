export { SimulationError } from "./errors";
export { FAULTS, type Fault, type FaultRate, REFUSAL_REASON } from "./faults";
export {
  type FleetProgress,
  hostnameOf,
  type SimulatedFleet,
  type SimulatedFleetOptions,
  startSimulatedFleet,
} from "./fleet";
export type { HistoryEntry, HistoryOf, HistoryType } from "./history";
export { BAD_SURVIVOR, WATCHED_UNITS } from "./host";
export { type NodeStatus, SIMAGENT_VERSION, type SimulatedNode } from "./node";
export type { Seed } from "./random";
export { planReboot, type RebootTimings } from "./timings";
export { type WireCounters, WireNode, type WireNodeSpec } from "./wire/node";
export { WirePool, type WirePoolOptions } from "./wire/pool";
