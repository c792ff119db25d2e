export { LabError, type LabErrorCode } from "./errors";
export { type BuildOptions, buildImage } from "./image";
export { buildImageTarball, type ImageTarball, tarballName } from "./image-tarball";
export {
  execIn,
  type LabNode,
  listNodes,
  managerProperties,
  runningNode,
  type SystemState,
  waitUntilRunning,
} from "./inside";
export type { AgentFiles } from "./layers";
export { DEMO_UNITS, IN_NODE, labImagesDir } from "./layout";
export { ensureLabNetwork, LAB_NETWORK, nodeAddress, nodeControlUrl, removeLabNetwork } from "./network";
export { type DownOptions, down, type UpOptions, up } from "./nodes";
export { ensureLabPki, labPki, type Pki } from "./pki";
export { type LabPrerequisites, labPrerequisites } from "./prereq";
export type { RunResult } from "./run";
export { type StageOptions, type StageResult, stage } from "./stage";
export { formatStatus, type NodeStatus, type ServiceStatus, status } from "./status";
