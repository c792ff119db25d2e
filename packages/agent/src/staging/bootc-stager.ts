/**
 * The bootc stager, for nodes that run an image-based OS managed by bootc:
 * `bootc upgrade --soft-reboot=auto` fetches and stages the new image and,
 * when the staged deployment can be soft-rebooted into, prepares
 * /run/nextroot; `bootc status --json` then says what was staged.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import * as z from "@softfleet/protocol/zod";
import { type CommandStagerOptions, runCommandStager } from "./command-stager";
import { abortedError, StageError } from "./errors";
import { howItEnded, runProgram, stderrTail } from "./run";

// The parts of bootc's Host (crates/lib/src/spec.rs, apiVersion org.containers.bootc/v1) we read;
// everything else is ignored, so newer fields do not break parsing.
const imageStatusSchema = z.object({
  image: z.object({ image: z.string(), transport: z.string() }),
  version: z.nullish(z.string()),
  timestamp: z.nullish(z.string()),
  imageDigest: z.nullish(z.string()),
});
const bootEntrySchema = z.object({
  image: z.nullish(imageStatusSchema),
  /** bootc >= 1.2; older versions do not say. */
  softRebootCapable: z.optional(z.boolean()),
  downloadOnly: z.optional(z.boolean()),
});
export const bootcStatusSchema = z.object({
  status: z.object({ staged: z.nullish(bootEntrySchema), booted: z.nullish(bootEntrySchema) }),
});

export interface BootcStaged {
  /** Whether a deployment is staged for the next boot. */
  staged: boolean;
  /** The staged image's version label, e.g. "42.20250708.0". */
  version: string | null;
  /** The staged image reference, e.g. quay.io/example/os:latest. */
  image: string | null;
  imageDigest: string | null;
  /** null: this bootc does not report it. */
  softRebootCapable: boolean | null;
}

/** What `bootc status --json` printed, reduced to the staged deployment. */
export function parseBootcStatus(json: string): BootcStaged {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new StageError("command-failed", "bootc status --json did not print JSON");
  }
  const parsed = bootcStatusSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StageError(
      "command-failed",
      `bootc status --json is not in the expected shape (${issue?.path.join(".") || "(root)"}: ${issue?.message})`,
    );
  }
  const staged = parsed.data.status.staged;
  return {
    staged: Boolean(staged),
    version: staged?.image?.version ?? null,
    image: staged?.image?.image.image ?? null,
    imageDigest: staged?.image?.imageDigest ?? null,
    softRebootCapable: staged ? (staged.softRebootCapable ?? null) : null,
  };
}

/** Whether a `bootc` executable is on PATH. */
export function bootcAvailable(path = process.env.PATH ?? ""): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, "bootc"), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export interface BootcStagerSpec {
  timeoutSec: number;
  /** The bootc executable (a path in tests). */
  bootc?: string;
  /** Older bootc has no --soft-reboot: ["upgrade"] there (nextroot then needs preparing some other way). */
  upgradeArgs?: string[];
}

/**
 * Stages the next image with bootc. Nothing staged (already up to date) is
 * not an error; a staged deployment bootc says cannot be soft-rebooted into
 * is ("not-soft-reboot-capable": a full reboot would be needed).
 */
export async function stageWithBootc(spec: BootcStagerSpec, options: CommandStagerOptions = {}): Promise<BootcStaged> {
  const bootc = spec.bootc ?? "bootc";
  await runCommandStager(
    { argv: [bootc, ...(spec.upgradeArgs ?? ["upgrade", "--soft-reboot=auto"])], timeoutSec: spec.timeoutSec },
    options,
  );
  const status = await runProgram(bootc, ["status", "--json"], { signal: options.signal, maxOutputChars: 4 << 20 });
  if (options.signal?.aborted) throw abortedError();
  if (status.code !== 0) {
    throw new StageError(
      "command-failed",
      `bootc status --json failed (${howItEnded(status)}): ${stderrTail(status.stderr)}`,
    );
  }
  const result = parseBootcStatus(status.stdout);
  if (result.staged && result.softRebootCapable === false) {
    throw new StageError(
      "not-soft-reboot-capable",
      `bootc staged ${result.image ?? "an image"}${result.version ? ` (version ${result.version})` : ""}, ` +
        "but it cannot be soft-rebooted into (its kernel, initramfs or kernel arguments differ): a full reboot is needed",
    );
  }
  return result;
}
