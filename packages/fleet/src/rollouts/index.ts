export { unfinishedRolloutStatuses } from "@softfleet/rollout";
export {
  createRollout,
  insertRollout,
  previewRollout,
  RolloutPlanError,
  type RolloutPreview,
  stepRollout,
  warmUpStep,
} from "./create";
export { downtimeMs } from "./facts";
export { type FrozenNodes, FrozenNodesCache } from "./frozen";
export { type LiveRows, type LoadedRollout, liveRowsCache, loadRollout } from "./load";
export { ENGINE_NAME, persistRollout } from "./persist";
export { mayRollBack, type RollbackTarget, rollBackRollout, rollbackPlan, wasUpdated } from "./rollback";
export { groupTargets, selectorOf, type TargetNode } from "./targets";
export { actOnRollout, RolloutActionError, skipNodeInhibitors } from "./user-actions";
