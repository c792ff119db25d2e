import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  bootId,
  containerState,
  messageId,
  networkLink,
  osRelease,
  shutdownType,
  unitState,
  usec,
} from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";
import { readJsonIfExists, writeFileAtomic } from "./fsutil";
import { errorText, log } from "./log";

/**
 * What the node looked like "before": written when the state changes and,
 * most importantly, when the shutdown signal arrives. After the agent starts
 * again it is compared with the present to tell a soft-reboot from a full one.
 */
export const snapshotSchema = z.object({
  version: z.literal(1),
  bootId,
  softRebootsCount: z.nullable(z.number().check(z.int(), z.nonnegative())),
  /** Tells a new userspace cycle apart where SoftRebootsCount is missing (systemd < 256). */
  userspaceUsec: usec,
  osRelease,
  nextroot: z.object({ staged: z.boolean(), imageVersion: z.nullable(z.string()) }),
  units: z.array(unitState),
  /** The root file system's device ("major:minor"): a soft-reboot into a new image changes it. */
  rootDevice: z._default(z.nullable(z.string().check(z.maxLength(32))), null),
  /** Roots of earlier cycles that processes still held when last looked at (see pinned-root.ts). */
  oldRootDevices: z._default(z.array(z.string().check(z.maxLength(32))).check(z.maxLength(8)), []),
  /** The Podman containers when last listed (absent: no Podman API on the node). */
  containers: z.optional(z.array(containerState).check(z.maxLength(200))),
  /** The links systemd-networkd manages, read when the shutdown signal arrived (absent: no networkd). */
  network: z.optional(z.array(networkLink).check(z.maxLength(32))),
  /** The shutdown signal that announced the reboot, on this boot's monotonic clock. */
  signal: z.nullable(
    z.object({
      eventId: messageId,
      monotonicUsec: usec,
      type: shutdownType,
      /** What was asked of logind, when the agent saw the call (absent: not seen, or an older agent). */
      requested: z.optional(shutdownType),
    }),
  ),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

/**
 * Two copies: runtimeDir/state.json lives in /run, which a soft-reboot carries
 * over and a full reboot empties (its absence is how `beforeLost` is known);
 * stateDir/last-state.json is on disk and survives a full reboot, so a new
 * boot id can be recognised and compared with the one before.
 */
export interface SnapshotFiles {
  runtime: string;
  persistent: string;
}

export function snapshotFiles(runtimeDir: string, stateDir: string): SnapshotFiles {
  return { runtime: join(runtimeDir, "state.json"), persistent: join(stateDir, "last-state.json") };
}

/**
 * `durable: false` is for the moment a shutdown is announced: the shutdown
 * waits for us, and every fsync there adds to its delay. The shutdown itself
 * syncs the file systems before a full reboot, and a soft-reboot keeps /run in
 * memory, so only a power loss in those seconds could lose the write.
 */
export function saveSnapshot(files: SnapshotFiles, snapshot: Snapshot, options: { durable?: boolean } = {}): void {
  const text = JSON.stringify(snapshot);
  for (const file of [files.runtime, files.persistent]) {
    mkdirSync(join(file, ".."), { recursive: true, mode: 0o755 });
    writeFileAtomic(file, text, 0o644, options);
  }
}

export interface LoadedSnapshots {
  runtime: Snapshot | null;
  persistent: Snapshot | null;
}

export function loadSnapshots(files: SnapshotFiles): LoadedSnapshots {
  return { runtime: loadOne(files.runtime), persistent: loadOne(files.persistent) };
}

function loadOne(file: string): Snapshot | null {
  try {
    const json = readJsonIfExists(file);
    if (json === null) return null;
    const parsed = snapshotSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    log.warn("snapshot: ignoring a file that does not match its schema", { file });
  } catch (error) {
    log.warn("snapshot: ignoring an unreadable file", { file, error: errorText(error) });
  }
  return null;
}
