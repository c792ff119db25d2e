import { join } from "node:path";
import { messageId, stagePhase } from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";
import { readJsonIfExists, writeFileAtomic } from "./fsutil";

/**
 * The files through which the agent and its stager talk. The agent runs
 * sandboxed (no mounts); each stage command runs in a unit of its own,
 * softfleet-stager@<command id>.service, which reads its request here and
 * writes its progress and its result beside it, under the agent's runtime
 * folder in /run.
 */

export const stageRequestSchema = z.object({
  commandId: messageId,
  version: z.string().check(z.maxLength(128)),
  /** Absolute: a path on control is resolved against its URL by the agent. */
  url: z.string().check(z.maxLength(2048)),
  sha256: z.string().check(z.maxLength(64)),
  bandwidthBytesPerSec: z.nullable(z.number().check(z.int(), z.positive())),
  /** Send the node's credential with the download (only to control itself). */
  withCredential: z.boolean(),
});
export type StageRequest = z.infer<typeof stageRequestSchema>;

export const stageProgressSchema = z.object({
  phase: stagePhase,
  bytesDone: z.number().check(z.int(), z.nonnegative()),
  bytesTotal: z.nullable(z.number().check(z.int(), z.nonnegative())),
});
export type StageProgressFile = z.infer<typeof stageProgressSchema>;

export const stageResultSchema = z.object({
  outcome: z.enum(["staged", "failed"]),
  version: z.string().check(z.maxLength(128)),
  code: z.nullable(z.string().check(z.maxLength(64))),
  reason: z.nullable(z.string().check(z.maxLength(2000))),
  bytes: z.nullable(z.number().check(z.int(), z.nonnegative())),
  reused: z.boolean(),
  seconds: z.number().check(z.nonnegative()),
  downloadSeconds: z.optional(z.nullable(z.number().check(z.nonnegative()))),
});
export type StageResultFile = z.infer<typeof stageResultSchema>;

export function stagingFiles(runtimeDir: string, commandId: string) {
  const dir = join(runtimeDir, "staging");
  return {
    dir,
    request: join(dir, `${commandId}.request.json`),
    progress: join(dir, `${commandId}.progress.json`),
    result: join(dir, `${commandId}.result.json`),
  };
}

export function readStageFile<T>(path: string, schema: z.ZodMiniType<T>): T | null {
  try {
    const parsed = schema.safeParse(readJsonIfExists(path));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeStageFile(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value), 0o600, { durable: false });
}

/** The unit a stage command runs in (its instance is the command id: letters, digits, "-" and "_"). */
export const stagerUnit = (commandId: string) => `softfleet-stager@${commandId}.service`;
