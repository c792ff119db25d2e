import type { TestDatabase } from "./database";

type Db = TestDatabase["db"];

/** Polls `probe` until it gives a value; the error names what was awaited (and the last error seen). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      lastError = error;
      return null;
    });
    if (value) return value;
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      throw new Error(`not within ${timeoutMs / 1000} s: ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The rollout in `status`; "completed" and "aborted" wait until it is over
 * (nothing left in flight). A timeout says where it stuck: each unfinished
 * node with its command.
 */
export function rolloutReaches(db: Db, id: string, status: string, timeoutMs = 120_000) {
  return until(
    `rollout ${id} to be ${status}`,
    async () => {
      const rollout = await db.rollout.findUniqueOrThrow({ where: { id } });
      const over = status !== "completed" && status !== "aborted" ? true : rollout.finishedAt !== null;
      return rollout.status === status && over ? rollout : null;
    },
    timeoutMs,
  ).catch(async (error: Error) => {
    const rollout = await db.rollout.findUniqueOrThrow({ where: { id } });
    const stuck = await db.rolloutNode.findMany({
      where: { rolloutId: id, status: { in: ["pending", "rebooting"] } },
      select: { hostname: true, status: true, commandId: true },
    });
    const commands = await db.nodeCommand.findMany({
      where: { id: { in: stuck.map((n) => n.commandId).filter((c): c is string => c !== null) } },
    });
    const detail = stuck.map((n) => {
      const command = commands.find((c) => c.id === n.commandId);
      return `${n.hostname} ${n.status} command ${command?.status ?? "-"} (${command?.reason ?? ""})`;
    });
    throw new Error(`${error.message}; rollout ${rollout.status} (${rollout.statusReason}); ${detail.join("; ")}`);
  });
}

/**
 * Replays a rollout's recorded transitions in order and returns every broken
 * invariant: more than max-unavailable rebooting at once, a node rebooted
 * twice, a reboot started while the rollout was not running, batches out of order.
 */
export async function rolloutViolations(db: Db, rolloutId: string, maxUnavailable: number) {
  const transitions = await db.rolloutTransition.findMany({ where: { rolloutId }, orderBy: { id: "asc" } });
  const batchOf = new Map(
    (await db.rolloutNode.findMany({ where: { rolloutId } })).map((n) => [n.nodeId, n.batchIndex]),
  );
  const found: string[] = [];
  const rebooting = new Set<string>();
  const rebooted = new Set<string>();
  let status = "running";
  let lastBatch = -1;
  for (const tr of transitions) {
    if (tr.machine === "rollout") status = tr.to;
    if (tr.machine !== "node") continue;
    if (tr.to === "rebooting") {
      if (rebooted.has(tr.subject)) found.push(`${tr.subjectName} rebooted twice`);
      if (status !== "running") found.push(`${tr.subjectName} rebooted while the rollout was ${status}`);
      const batch = batchOf.get(tr.subject)!;
      if (batch < lastBatch) found.push(`${tr.subjectName} of batch ${batch} after batch ${lastBatch} had started`);
      lastBatch = Math.max(lastBatch, batch);
      rebooted.add(tr.subject);
      rebooting.add(tr.subject);
      if (rebooting.size > maxUnavailable) found.push(`${rebooting.size} nodes rebooting at once`);
    } else if (tr.from === "rebooting") {
      rebooting.delete(tr.subject);
    }
  }
  return { found, rebooted, transitions };
}
