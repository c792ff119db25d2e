import { readFileSync } from "node:fs";
import type { AgentConfig } from "./config";
import { loadCredential } from "./enroll";
import { errorText, log } from "./log";
import {
  readStageFile,
  type StageRequest,
  type StageResultFile,
  stageRequestSchema,
  stagingFiles,
  writeStageFile,
} from "./stage-files";
import {
  imageStagerConfig,
  isStageError,
  type Mounter,
  runCommandStager,
  StageError,
  type StageProgress,
  stageImage,
  stageWithBootc,
  systemMounter,
} from "./staging";
import { readTreeOsRelease } from "./staging/tree";

/**
 * `softfleet-agent stage-worker <command id>`: the privileged half of a stage
 * command, run by softfleet-stager@.service (the agent's own unit may not
 * mount). Reads the request the agent wrote, stages the image with the
 * built-in stager, and writes progress (a few times a second) and the result.
 * Always ends with a result file, whatever went wrong.
 */
export async function runStageWorker(
  config: AgentConfig,
  commandId: string,
  options: { nextroot?: string; hostRoot?: string; mounter?: Mounter; progressEveryMs?: number } = {},
): Promise<StageResultFile> {
  const files = stagingFiles(config.runtimeDir, commandId);
  const started = performance.now();
  const request = readStageFile(files.request, stageRequestSchema);
  const finish = (result: Omit<StageResultFile, "seconds">): StageResultFile => {
    const full = { ...result, seconds: Math.round(performance.now() - started) / 1000 };
    writeStageFile(files.result, full);
    return full;
  };
  if (!request) {
    return finish({
      outcome: "failed",
      version: "",
      code: "bad-input",
      reason: `no valid stage request at ${files.request}`,
      bytes: null,
      reused: false,
    });
  }
  let last = 0;
  const every = options.progressEveryMs ?? 250;
  // The download's own time: from the start to the first phase after it.
  let downloadEnded: number | null = null;
  const onProgress = (progress: StageProgress) => {
    const now = performance.now();
    if (progress.phase !== "download" && downloadEnded === null) downloadEnded = now;
    const final = progress.bytesTotal !== null && progress.bytesDone === progress.bytesTotal;
    if (now - last < every && !final && progress.phase === "download") return;
    last = now;
    writeStageFile(files.progress, progress);
  };
  try {
    const headers: Record<string, string> = {};
    if (request.withCredential) {
      const credential = loadCredential(config.stateDir);
      if (credential) headers.authorization = `Bearer ${credential.credential}`;
    }
    if (config.staging.stager !== "image") {
      const nextroot = options.nextroot ?? "/run/nextroot";
      await runOtherStager(config.staging.stager, request, nextroot, options.mounter ?? systemMounter);
      log.info("staged", { commandId, version: request.version, stager: stagerName(config.staging.stager) });
      return finish({
        outcome: "staged",
        version: request.version,
        code: null,
        reason: null,
        bytes: null,
        reused: false,
      });
    }
    const staged = await stageImage(
      { version: request.version, url: request.url, sha256: request.sha256 },
      imageStagerConfig({
        imagesDir: config.staging.imagesDir,
        keepPaths: config.staging.keepPaths,
        nextroot: options.nextroot ?? "/run/nextroot",
        hostRoot: options.hostRoot ?? "/",
        bandwidthBytesPerSec: request.bandwidthBytesPerSec,
        ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}),
      }),
      { onProgress, headers, ...(options.mounter ? { mounter: options.mounter } : {}) },
    );
    log.info("staged", { commandId, version: staged.version, bytes: staged.bytes, reused: staged.reused });
    return finish({
      outcome: "staged",
      version: staged.version,
      code: null,
      reason: null,
      bytes: staged.bytes,
      reused: staged.reused,
      downloadSeconds: staged.reused || downloadEnded === null ? null : Math.round(downloadEnded - started) / 1000,
    });
  } catch (error) {
    const code = isStageError(error) ? error.code : "internal";
    log.error("staging failed", { commandId, code, error: errorText(error) });
    return finish({
      outcome: "failed",
      version: request.version,
      code,
      reason: errorText(error).slice(0, 2000),
      bytes: null,
      reused: false,
    });
  }
}

type OtherStager = Exclude<AgentConfig["staging"]["stager"], "image">;

const stagerName = (stager: OtherStager) => (stager === "bootc" ? "bootc" : stager.command[0]);

/**
 * The operator's command, or bootc, then the same check the built-in stager
 * makes: /run/nextroot is a mount point whose os-release carries the version.
 */
async function runOtherStager(stager: OtherStager, request: StageRequest, nextroot: string, mounter: Mounter) {
  if (stager === "bootc") {
    await stageWithBootc({ timeoutSec: 3600 });
  } else {
    await runCommandStager({
      argv: stager.command,
      timeoutSec: stager.timeoutSec,
      env: {
        SOFTFLEET_IMAGE_VERSION: request.version,
        SOFTFLEET_IMAGE_URL: request.url,
        SOFTFLEET_IMAGE_SHA256: request.sha256,
        SOFTFLEET_NEXTROOT: nextroot,
      },
    });
  }
  if (!(await mounter.isMountPoint(nextroot))) {
    throw new StageError(
      "mount-failed",
      `${stagerName(stager)} finished, but ${nextroot} is not a mount point: systemd >= 256 switches root only into one`,
    );
  }
  const osRelease = await readTreeOsRelease(nextroot);
  if (!osRelease) throw new StageError("no-os-release", `${nextroot} has no os-release after ${stagerName(stager)}`);
  if (osRelease.IMAGE_VERSION !== request.version) {
    throw new StageError(
      "wrong-version",
      `${nextroot} carries IMAGE_VERSION ${osRelease.IMAGE_VERSION ?? "(none)"} after ${stagerName(stager)}, expected ${request.version}`,
    );
  }
}
