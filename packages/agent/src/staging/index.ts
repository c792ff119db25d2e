/**
 * Staging the next OS for a soft-reboot. Three stagers: the built-in image
 * stager (a tarball mounted at /run/nextroot), the operator's own command,
 * and bootc. Each fails with a StageError whose code says what went wrong.
 */
export {
  type BootcStaged,
  type BootcStagerSpec,
  bootcAvailable,
  bootcStatusSchema,
  parseBootcStatus,
  stageWithBootc,
} from "./bootc-stager";
export {
  type CommandResult,
  type CommandStagerOptions,
  type CommandStagerSpec,
  runCommandStager,
} from "./command-stager";
export { isStageError, StageError, type StageErrorCode, stageErrorCodes } from "./errors";
export { type ImageStagerConfig, imageStagerConfig, imageStagerConfigSchema } from "./image-config";
export {
  removeImages,
  type StagedImage,
  type StageOptions,
  type StagePhase,
  type StageProgress,
  stageImage,
  unstage,
} from "./image-stager";
export { type ImageMarker, listImages, type StoredImage } from "./image-store";
export { type Bind, type Mounter, systemMounter } from "./mounts";
export type { ImageSource } from "./source";
