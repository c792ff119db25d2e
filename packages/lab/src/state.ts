import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { LabError } from "./errors";
import { readJsonFile, writeJsonFile } from "./jsonfile";
import { LAB_STATE_DIR, STATE_FILE } from "./layout";
import { isAlive } from "./proc";
import { sleep } from "./run";

/** What the lab started, so later commands and `down` act on that and nothing else. */

const nodeRecordSchema = z.object({
  name: z.string(),
  index: z.number().int(),
  /** null until systemd-nspawn is started. */
  nspawnPid: z.number().int().nullable(),
  /** /proc start time of that pid: a reused pid is not mistaken for the node. */
  nspawnStartTime: z.string().nullable(),
  /** The node's PID 1 (systemd) seen from the host: it stays the same across soft-reboots. */
  leaderPid: z.number().int().nullable(),
  // fdstore: absent from nodes started before the fd-store demo existed.
  ports: z.object({
    survivor: z.number().int(),
    ordinary: z.number().int(),
    fdstore: z.number().int().optional(),
    container: z.number().int().optional(),
    portable: z.number().int().optional(),
  }),
  /** The softfleet layer the node's root and its staged roots use. */
  softfleetLayer: z.string(),
  controlUrl: z.string(),
  startedAt: z.string(),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

const stateSchema = z.object({ nodes: z.record(z.string(), nodeRecordSchema) });
export type LabState = z.infer<typeof stateSchema>;

export async function readState(): Promise<LabState> {
  return (await readJsonFile(STATE_FILE, stateSchema)) ?? { nodes: {} };
}

export async function writeState(state: LabState): Promise<void> {
  await writeJsonFile(STATE_FILE, state);
}

const LOCK_FILE = join(LAB_STATE_DIR, "state.lock");

/**
 * Runs fn while holding the lab's lock, so two `up`/`down` never interleave
 * their edits of the state file. A lock left by a dead process is taken over.
 */
export async function withStateLock<T>(fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  mkdirSync(LAB_STATE_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readLockOwner());
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
        removeLock();
        continue;
      }
      if (Date.now() > deadline) {
        throw new LabError(
          "busy",
          `another lab command (pid ${owner}) has held ${LOCK_FILE} for ${timeoutMs / 1000} s`,
          "wait for it to finish, or stop that process",
        );
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    removeLock();
  }
}

function readLockOwner(): string {
  try {
    return readFileSync(LOCK_FILE, "utf8").trim();
  } catch {
    return "";
  }
}

function removeLock() {
  try {
    unlinkSync(LOCK_FILE);
  } catch {}
}
