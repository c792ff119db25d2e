import type { RouterOutputs } from "@softfleet/api";

/** The plan as stored: validated and every default filled in when the rollout started. */
type Plan = NonNullable<RouterOutputs["rollouts"]["preview"]["plan"]>;

const dayNames: Record<string, string> = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
};

function isPlan(value: unknown): value is Plan {
  return typeof value === "object" && value !== null && "batch" in value && "gate" in value;
}

/** What the rollout was told to do, in words. */
export function PlanSummary({ plan }: { plan: unknown }) {
  if (!isPlan(plan)) return null;
  const items: [string, string][] = [
    ["Canary", plan.canary ? `${plan.canary.count} node${plan.canary.count === 1 ? "" : "s"}` : "none"],
    ["Batches", "size" in plan.batch ? `${plan.batch.size} nodes each` : `${plan.batch.percent} % of the group each`],
    ["Max unavailable", String(plan.maxUnavailable)],
    ["Settle delay", `${plan.settleSec} s`],
    ["Approval after canary", plan.approveAfterCanary ? "required" : "not required"],
    [
      "Maintenance window",
      plan.window
        ? `${plan.window.days.map((d) => dayNames[d] ?? d).join(", ")} ${plan.window.start}–${plan.window.end} (${plan.window.timeZone})`
        : "any time",
    ],
    [
      "Target image version",
      plan.targetImageVersion
        ? `${plan.targetImageVersion}; a node without it staged ${plan.whenNotStaged === "skip" ? "is skipped" : "fails"}`
        : "any",
    ],
    [
      "Block inhibitors",
      `a held node waits up to ${(plan as { blockedTimeoutSec?: number }).blockedTimeoutSec ?? 600} s, then fails`,
    ],
    ...(plan.image
      ? ([
          ["Image", `${plan.image.url} (SHA-256 ${plan.image.sha256.slice(0, 12)}…), staged by the rollout`],
          [
            "Staging",
            `${plan.staging.concurrency} node${plan.staging.concurrency === 1 ? "" : "s"} at once${plan.staging.bandwidthMBps === null ? "" : `, at most ${plan.staging.bandwidthMBps} MB/s each`}; fails after ${plan.staging.timeoutSec} s`,
          ],
        ] as [string, string][])
      : []),
    ["Return timeout", `${plan.gate.returnTimeoutSec} s`],
    [
      "Failed gate",
      (plan as { autoRollback?: boolean }).autoRollback
        ? "the node is rolled back to the image it ran before, and the rollout halts"
        : "the node fails (counts towards the threshold)",
    ],
    ["Required units", plan.gate.requiredUnits.length > 0 ? plan.gate.requiredUnits.join(", ") : "none"],
    ["Downtime budget", plan.gate.maxDowntimeMs === null ? "not checked" : `${plan.gate.maxDowntimeMs} ms`],
    ["Surviving payload restarted", plan.gate.haltOnSurvivorRestart ? "halts the rollout" : "reported, not checked"],
    [
      "Pinned old root",
      plan.gate.maxPinnedRootMb === null
        ? "reported, not checked"
        : `halts the rollout over ${plan.gate.maxPinnedRootMb} MB on a node`,
    ],
    [
      "Failure threshold",
      "count" in plan.failureThreshold
        ? `halt when more than ${plan.failureThreshold.count} node${plan.failureThreshold.count === 1 ? "" : "s"} fail`
        : `halt when more than ${plan.failureThreshold.percent} % fail`,
    ],
  ];
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-sky-700 dark:text-sky-400">Plan</summary>
      <dl className="mt-2 grid max-w-3xl grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        {items.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-zinc-600 dark:text-zinc-400">{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
