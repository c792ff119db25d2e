import { mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentEvent, StageCommand } from "@softfleet/protocol";
import type { Command } from "./connection";
import { controlEndpoint } from "./enroll";
import { errorText, log } from "./log";
import {
  readStageFile,
  type StageProgressFile,
  type StageRequest,
  type StageResultFile,
  stageProgressSchema,
  stageResultSchema,
  stagingFiles,
  writeStageFile,
} from "./stage-files";

export type StageCommandMessage = Command & { command: StageCommand };

export interface StageDeps {
  runtimeDir: string;
  controlUrl: string;
  publish: (event: AgentEvent) => string;
  sendProgress: (commandId: string, progress: StageProgressFile) => void;
  shutdownUnderWay: () => boolean;
  /** Starts the stager for this command (softfleet-stager@<id>.service); resolves once it started. */
  launch: (commandId: string) => Promise<void>;
  /** Whether the stager still runs (false once its unit ended); null when that cannot be told. */
  running: (commandId: string) => Promise<boolean | null>;
  timeoutSec: number;
  pollMs?: number;
}

/** The image's URL as the stager fetches it: a path on control is resolved against control's URL (and gets the credential). */
export function resolveImageUrl(url: string, controlUrl: string): { url: string; withCredential: boolean } {
  if (url.startsWith("/")) return { url: controlEndpoint(controlUrl, url), withCredential: true };
  const control = new URL(controlUrl);
  const target = new URL(url);
  // The credential goes only to control itself, never to another host.
  return { url: target.toString(), withCredential: target.origin === control.origin };
}

/**
 * Answers a stage command (accepted, or refused with why), hands it to the
 * stager in its own unit, forwards the stager's progress, and publishes its
 * result as a stage-result event (spooled: it survives the agent's restart
 * and the connection's loss). A stager that ends without a result, or takes
 * longer than `timeoutSec`, is reported as failed.
 */
export async function runStageCommand(command: StageCommandMessage, deps: StageDeps): Promise<void> {
  const { id } = command;
  const started = performance.now();
  const fail = (code: string, reason: string) => {
    log.error("stage command failed", { commandId: id, code, reason });
    deps.publish({
      type: "stage-result",
      commandId: id,
      outcome: "failed",
      version: command.command.version,
      code,
      reason: reason.slice(0, 2000),
      bytes: null,
      reused: false,
      seconds: Math.round(performance.now() - started) / 1000,
    });
  };
  if (deps.shutdownUnderWay()) {
    deps.publish({
      type: "command-result",
      commandId: id,
      outcome: "refused",
      reason: "a shutdown is already under way on this node",
    });
    return;
  }
  const files = stagingFiles(deps.runtimeDir, id);
  let request: StageRequest;
  try {
    const { url, withCredential } = resolveImageUrl(command.command.url, deps.controlUrl);
    request = {
      commandId: id,
      version: command.command.version,
      url,
      sha256: command.command.sha256,
      bandwidthBytesPerSec: command.command.bandwidthBytesPerSec,
      withCredential,
    };
    mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    writeStageFile(files.request, request);
  } catch (error) {
    deps.publish({
      type: "command-result",
      commandId: id,
      outcome: "refused",
      reason: `cannot stage: ${errorText(error)}`.slice(0, 500),
    });
    return;
  }
  deps.publish({ type: "command-result", commandId: id, outcome: "accepted", reason: null });
  log.info("staging", { commandId: id, version: request.version, url: request.url });
  try {
    await deps.launch(id);
  } catch (error) {
    fail("launch-failed", `cannot start the stager (${`softfleet-stager@${id}.service`}): ${errorText(error)}`);
    return;
  }
  await watchStager(id, deps, started, fail);
}

/** Forwards progress until the result file appears; then publishes it and returns it (null: failed without one). */
export async function watchStager(
  id: string,
  deps: StageDeps,
  started: number,
  fail: (code: string, reason: string) => void,
): Promise<StageResultFile | null> {
  const files = stagingFiles(deps.runtimeDir, id);
  const pollMs = deps.pollMs ?? 250;
  let lastProgress = "";
  let endedChecks = 0;
  for (;;) {
    const result = readStageFile(files.result, stageResultSchema);
    if (result) {
      deps.publish({ type: "stage-result", commandId: id, ...result });
      log.info("stage result", { commandId: id, outcome: result.outcome, code: result.code });
      return result;
    }
    const progress = readStageFile(files.progress, stageProgressSchema);
    const key = JSON.stringify(progress);
    if (progress && key !== lastProgress) {
      lastProgress = key;
      deps.sendProgress(id, progress);
    }
    if ((performance.now() - started) / 1000 > deps.timeoutSec) {
      fail("timeout", `staging took longer than ${deps.timeoutSec} s (see journalctl -u softfleet-stager@${id})`);
      return null;
    }
    // A stager that ended without writing its result (killed, crashed): two looks apart, to not race its last write.
    const running = await deps.running(id).catch(() => null);
    endedChecks = running === false ? endedChecks + 1 : 0;
    if (endedChecks >= 2 && !readStageFile(files.result, stageResultSchema)) {
      fail("stager-ended", `the stager ended without a result (see journalctl -u softfleet-stager@${id})`);
      return null;
    }
    await sleep(pollMs);
  }
}
