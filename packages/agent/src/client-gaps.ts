import { readFile } from "node:fs/promises";
import type { ClientGap } from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";

/**
 * Client-visible downtime: the prober on the node (a surviving unit) probes
 * each payload every few ms through the soft-reboot and keeps the gaps it saw
 * in a file under /run; the agent reads it once it is back and puts the gaps
 * of the reboot on its record. The file is another process's output: it is
 * bounded and validated like any input.
 */

const usec = z.string().check(z.regex(/^\d{1,20}$/));
const proberState = z.object({
  version: z.literal(1),
  intervalMs: z.number().check(z.positive(), z.maximum(60_000)),
  writtenUsec: usec,
  targets: z
    .array(
      z.object({
        name: z.string().check(z.minLength(1), z.maxLength(64)),
        target: z.string().check(z.maxLength(256)),
        failing: z.number().check(z.int(), z.nonnegative()),
        lastOkUsec: z.nullable(usec),
        gaps: z
          .array(z.object({ fromUsec: usec, toUsec: usec, failed: z.number().check(z.int(), z.nonnegative()) }))
          .check(z.maxLength(1000)),
      }),
    )
    .check(z.maxLength(32)),
});
export type ProberState = z.infer<typeof proberState>;

const MAX_BYTES = 1024 * 1024;

/** The prober's state, or null when there is no prober (no file) or its file is not one. */
export async function readProberState(file: string): Promise<ProberState | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return null;
  }
  if (text.length > MAX_BYTES) return null;
  try {
    const parsed = proberState.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Each target's gaps that overlap the reboot (from its first known point to
 * the agent connected again): the longest, and the probes that failed in
 * them. A target failing when the file was written has an open gap, from its
 * last answer to then.
 */
export function clientGapsIn(state: ProberState, window: { fromUsec: bigint; toUsec: bigint }): ClientGap[] {
  const written = BigInt(state.writtenUsec);
  return state.targets.map((target) => {
    const gaps = target.gaps.map((g) => ({ from: BigInt(g.fromUsec), to: BigInt(g.toUsec), failed: g.failed }));
    const open = target.failing > 0 && target.lastOkUsec !== null;
    if (open) gaps.push({ from: BigInt(target.lastOkUsec!), to: written, failed: target.failing });
    const inside = gaps.filter((g) => g.to >= window.fromUsec && g.from <= window.toUsec);
    const longestUsec = Math.max(0, ...inside.map((g) => Number(g.to - g.from)));
    return {
      name: target.name,
      target: target.target,
      longestGapMs: longestUsec / 1000,
      failedProbes: inside.reduce((sum, g) => sum + g.failed, 0),
      open: open && inside.some((g) => g.to === written),
    };
  });
}
