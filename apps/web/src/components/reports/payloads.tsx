import type { RouterOutputs } from "@softfleet/api";
import Link from "next/link";
import { Ms } from "~/components/reports/figures";
import { tableClass, tdClass, thClass } from "~/components/ui";

type RolloutPayloadData = RouterOutputs["reports"]["rollout"]["payloads"];
type PayloadStats = RouterOutputs["reports"]["fleet"]["payloads"][number];

const muted = "text-zinc-600 dark:text-zinc-400";
const mb = (kb: number | null) => (kb === null ? "—" : `${(kb / 1024).toFixed(1)} MB`);

/** "X of Y" kept running, red when some did not. */
export function KeptRunning({ stats }: { stats: Pick<PayloadStats, "survivorsKept" | "survivorsTotal"> }) {
  if (stats.survivorsTotal === 0) return <span className={muted}>no surviving payloads</span>;
  const all = stats.survivorsKept === stats.survivorsTotal;
  return (
    <span className={all ? "" : "font-medium text-red-700 dark:text-red-400"}>
      {stats.survivorsKept} of {stats.survivorsTotal}
    </span>
  );
}

/** Nodes with a pinned old root, of those looked at. */
export function PinnedNodes({ stats }: { stats: Pick<PayloadStats, "pinnedNodes" | "scannedNodes"> }) {
  if (stats.scannedNodes === 0) return <span className={muted}>none looked at</span>;
  return (
    <span className={stats.pinnedNodes > 0 ? "font-medium text-amber-800 dark:text-amber-300" : ""}>
      {stats.pinnedNodes} of {stats.scannedNodes}
    </span>
  );
}

/** A rollout's payloads: what kept running, per unit, and the nodes whose old root was held. */
export function RolloutPayloads({ payloads }: { payloads: RolloutPayloadData }) {
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        <dt className={muted}>Payloads kept running</dt>
        <dd data-testid="payloads-kept">
          <KeptRunning stats={payloads} />
        </dd>
        <dt className={muted}>Nodes with a pinned old root</dt>
        <dd data-testid="pinned-nodes">
          <PinnedNodes stats={payloads} />
          {payloads.pinnedNodes > 0 && (
            <span className={muted}>
              {" "}
              (p50 {mb(payloads.pinnedP50Kb)}, max {mb(payloads.pinnedMaxKb)})
            </span>
          )}
        </dd>
      </dl>
      {payloads.units.length > 0 && (
        <table className={tableClass} aria-label="Surviving payloads">
          <thead>
            <tr>
              <th className={thClass}>Surviving unit</th>
              <th className={`${thClass} text-right`}>Kept running</th>
            </tr>
          </thead>
          <tbody>
            {payloads.units.map((unit) => (
              <tr key={unit.name}>
                <td className={`${tdClass} font-mono text-xs`}>{unit.name}</td>
                <td className={`${tdClass} text-right tabular-nums`}>
                  <KeptRunning stats={{ survivorsKept: unit.kept, survivorsTotal: unit.total }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ClientGapTable rows={payloads.clientGaps} label="What clients saw" />
      {payloads.pinned.length > 0 && (
        <table className={tableClass} aria-label="Nodes with a pinned old root">
          <thead>
            <tr>
              <th className={thClass}>Node</th>
              <th className={thClass}>Held by</th>
              <th className={`${thClass} text-right`}>Pinned (Pss)</th>
            </tr>
          </thead>
          <tbody>
            {payloads.pinned.map((row) => (
              <tr key={row.recordId}>
                <td className={tdClass}>
                  <Link className="text-sky-700 hover:underline dark:text-sky-400" href={`/nodes/${row.nodeId}`}>
                    {row.hostname}
                  </Link>
                </td>
                <td className={`${tdClass} font-mono text-xs`}>{row.by.join(", ")}</td>
                <td className={`${tdClass} text-right tabular-nums`}>{mb(row.pssKb)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The fleet report's payload figures per image version after the reboot. */
export function PayloadsByImage({ rows }: { rows: PayloadStats[] }) {
  const byImage = rows.filter((row) => row.imageVersion !== null);
  const all = rows.find((row) => row.imageVersion === null);
  if (!all || (all.survivorsTotal === 0 && all.scannedNodes === 0)) {
    return (
      <p className={muted}>No reboot in this range reported surviving payloads or looked for a pinned old root.</p>
    );
  }
  return (
    <table className={tableClass} aria-label="Payloads per image version">
      <thead>
        <tr>
          <th className={thClass}>Image version</th>
          <th className={`${thClass} text-right`}>Payloads kept running</th>
          <th className={`${thClass} text-right`}>Nodes with a pinned old root</th>
          <th className={`${thClass} text-right`}>Pinned p50</th>
          <th className={`${thClass} text-right`}>Pinned max</th>
        </tr>
      </thead>
      <tbody>
        {[...byImage, { ...all, imageVersion: "all" }].map((row) => (
          <tr key={row.imageVersion}>
            <td className={`${tdClass} font-mono text-xs`}>{row.imageVersion ?? "unknown"}</td>
            <td className={`${tdClass} text-right tabular-nums`}>
              <KeptRunning stats={row} />
            </td>
            <td className={`${tdClass} text-right tabular-nums`}>
              <PinnedNodes stats={row} />
            </td>
            <td className={`${tdClass} text-right tabular-nums`}>{mb(row.pinnedP50Kb)}</td>
            <td className={`${tdClass} text-right tabular-nums`}>{mb(row.pinnedMaxKb)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type GapRow = RouterOutputs["reports"]["rollout"]["payloads"]["clientGaps"][number] & { imageVersion?: string | null };

/**
 * What each probed payload's clients saw across a set of reboots: its longest
 * gap per reboot (p50 / p95 / max) and the failed probes; with an image
 * version column when the rows carry one (the fleet report's breakdown).
 */
export function ClientGapTable({ rows, label }: { rows: GapRow[]; label: string }) {
  if (rows.length === 0) return null;
  const byImage = rows.some((row) => row.imageVersion !== undefined);
  return (
    <table className={tableClass} aria-label={label}>
      <thead>
        <tr>
          {byImage && <th className={thClass}>Image version</th>}
          <th className={thClass}>Probed payload</th>
          <th className={`${thClass} text-right`} title="Reboots with a client-visible gap measured">
            Reboots
          </th>
          <th className={`${thClass} text-right`}>Longest gap p50</th>
          <th className={`${thClass} text-right`}>p95</th>
          <th className={`${thClass} text-right`}>Max</th>
          <th className={`${thClass} text-right`}>Failed probes</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.imageVersion ?? ""}:${row.name}`}>
            {byImage && <td className={`${tdClass} font-mono text-xs`}>{row.imageVersion ?? "unknown"}</td>}
            <td className={tdClass}>{row.name}</td>
            <td className={`${tdClass} text-right tabular-nums`}>{row.reboots}</td>
            <td className={`${tdClass} text-right`}>
              <Ms value={row.p50Ms} />
            </td>
            <td className={`${tdClass} text-right`}>
              <Ms value={row.p95Ms} />
            </td>
            <td className={`${tdClass} text-right`}>
              <Ms value={row.maxMs} />
            </td>
            <td className={`${tdClass} text-right tabular-nums`}>{row.failedProbes}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
