import { mkdirSync } from "node:fs";
import type { RollbackCommand } from "@softfleet/protocol";
import type { Command } from "./connection";
import { errorText, log } from "./log";
import { SD_LOGIND_SKIP_INHIBITORS, SD_LOGIND_SOFT_REBOOT_IF_NEXTROOT_SET_UP } from "./signals";
import { type StageDeps, watchStager } from "./stage-command";
import { stagingFiles, writeStageFile } from "./stage-files";
import { listImages } from "./staging";

export type RollbackCommandMessage = Command & { command: RollbackCommand };

export interface RollbackDeps extends StageDeps {
  imagesDir: string;
  nextroot: () => { staged: boolean; imageVersion: string | null };
  rebootWithFlags: (flags: bigint) => Promise<void>;
}

/**
 * Back into an image this node kept: the stager mounts it at /run/nextroot
 * again from the images folder (its marker gives the SHA-256 it was checked
 * against; nothing is downloaded), then logind soft-reboots into it. With no
 * such image kept the command is refused, saying so. A failure after the
 * answer is a second command-result, "refused", with the reason.
 */
export async function runRollbackCommand(command: RollbackCommandMessage, deps: RollbackDeps): Promise<void> {
  const { id } = command;
  const { version } = command.command;
  const refuse = (reason: string) => {
    log.error("rollback refused", { commandId: id, version, reason });
    deps.publish({ type: "command-result", commandId: id, outcome: "refused", reason: reason.slice(0, 500) });
  };
  if (deps.shutdownUnderWay()) return refuse("a shutdown is already under way on this node");
  const kept = (await listImages({ imagesDir: deps.imagesDir }).catch(() => [])).find((i) => i.version === version);
  if (!kept) {
    return refuse(
      `no image of IMAGE_VERSION ${version} is kept in ${deps.imagesDir}: this node cannot roll back to it`,
    );
  }
  const files = stagingFiles(deps.runtimeDir, id);
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  // The kept image is found by its version and digest: the stager reuses it and fetches nothing.
  writeStageFile(files.request, {
    commandId: id,
    version,
    url: "http://127.0.0.1/kept-image",
    sha256: kept.sha256,
    bandwidthBytesPerSec: null,
    withCredential: false,
  });
  deps.publish({ type: "command-result", commandId: id, outcome: "accepted", reason: null });
  log.info("rolling back", { commandId: id, version, dir: kept.dir });
  const started = performance.now();
  try {
    await deps.launch(id);
  } catch (error) {
    return refuse(`rollback: cannot start the stager: ${errorText(error)}`);
  }
  let failure: string | null = null;
  const result = await watchStager(id, deps, started, (code, reason) => {
    failure = `${code}: ${reason}`;
  });
  if (result?.outcome !== "staged") {
    return refuse(
      `rollback: staging IMAGE_VERSION ${version} again failed: ${result?.reason ?? failure ?? "no result"}`,
    );
  }
  const nextroot = deps.nextroot();
  if (!nextroot.staged || nextroot.imageVersion !== version) {
    return refuse(`rollback: /run/nextroot holds ${nextroot.imageVersion ?? "nothing"} after staging ${version}`);
  }
  try {
    const skip = command.command.skipInhibitors ? SD_LOGIND_SKIP_INHIBITORS : 0n;
    await deps.rebootWithFlags(SD_LOGIND_SOFT_REBOOT_IF_NEXTROOT_SET_UP | skip);
  } catch (error) {
    refuse(`rollback: logind refused the soft-reboot: ${errorText(error)}`);
  }
}
