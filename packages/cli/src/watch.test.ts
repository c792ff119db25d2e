import { describe, expect, it } from "vitest";
import type { Api } from "./api";
import type { RolloutSnapshot } from "./progress";
import { watchRollout } from "./watch";

/**
 * What `--wait` asks of the server on a big rollout. The server here is a
 * script of the rollout's states (the real one is exercised end to end in
 * e2e/tests/cli.spec.ts): the question is only which requests the watch sends.
 */

const TOTAL = 200;
const counts = (succeeded: number, failed: number) =>
  ({
    total: TOTAL,
    pending: TOTAL - succeeded - failed,
    staging: 0,
    rebooting: 0,
    succeeded,
    failed,
    rolledBack: 0,
    skipped: 0,
    cancelled: 0,
  }) as unknown as RolloutSnapshot["counts"];

let transitionId = 0;
const nodeEnd = (hostname: string, to: string) => ({
  id: String(++transitionId),
  at: new Date("2026-12-06T03:00:00Z"),
  machine: "node",
  subjectName: hostname,
  from: "rebooting",
  to,
  reason: to === "failed" ? "did not come back within 300 s" : "came back and passed the health gate",
  actorName: "rollout engine",
});

function snapshot(status: string, succeeded: number, failed: number, transitions: RolloutSnapshot["transitions"]) {
  return {
    id: "r1",
    groupName: "web",
    status,
    statusReason: null,
    plan: { targetImageVersion: "2" },
    counts: counts(succeeded, failed),
    batches: [{ index: 0, kind: "batch", status: status === "running" ? "running" : "done", counts: counts(0, 0) }],
    transitions,
  } satisfies RolloutSnapshot;
}

describe("--wait on a rollout of more than 50 nodes", () => {
  it("reads the rollout report only when a node fails and at the end, not at every node's success", async () => {
    const polls = [
      snapshot("running", 0, 0, []),
      snapshot("running", 1, 0, [nodeEnd("web-001", "succeeded")]),
      snapshot("running", 2, 0, [nodeEnd("web-002", "succeeded")]),
      snapshot("running", 2, 1, [nodeEnd("web-003", "failed")]),
      snapshot("running", 3, 1, [nodeEnd("web-004", "succeeded")]),
      snapshot("completed", 199, 1, [nodeEnd("web-200", "succeeded")]),
    ];
    const history: RolloutSnapshot["transitions"] = [];
    let poll = 0;
    const reportReads: number[] = [];
    const phases = (hostname: string, status: string) => ({
      nodeId: hostname,
      hostname,
      status,
      reason: status === "failed" ? "did not come back within 300 s" : null,
      rebootType: status === "failed" ? null : "soft-reboot",
      signalToShutdownMs: 5,
      shutdownMs: 800,
      bootMs: 250,
      reconnectMs: 60,
      totalMs: status === "failed" ? null : 1115,
    });
    const api = {
      rollouts: {
        get: {
          query: async () => {
            const next = polls[Math.min(poll++, polls.length - 1)]!;
            history.push(...next.transitions);
            return { ...next, transitions: [...history] };
          },
        },
      },
      reports: {
        rollout: {
          query: async () => {
            reportReads.push(poll);
            return { nodes: [phases("web-001", "succeeded"), phases("web-003", "failed")], stats: [] };
          },
        },
      },
    } as unknown as Api;
    const lines: string[] = [];

    const code = await watchRollout(api, "r1", (line) => lines.push(line), {
      json: false,
      verbose: false,
      timeoutSec: 0,
      intervalMs: 1,
    });

    expect(code).toBe(0);
    // Polls 4 (the failure) and 6 (the end): the successes of polls 2, 3 and 5 need no report.
    expect(reportReads).toEqual([4, 6]);
    expect(lines).toContain("    web-003: failed (did not come back within 300 s)");
    expect(lines.some((line) => line.startsWith("    web-001:"))).toBe(false);
  });
});
