import { type FdStoreOutcome, fdStoreOutcome } from "@softfleet/protocol/payloads";
import { formatMs, gapMs, shortId } from "~/components/format";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { type FdStoreChange, type UnitContinuity, type UnitOutcome, unitContinuity } from "./node-json";

const badge = "inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset";
const outcomeStyles: Record<UnitOutcome, string> = {
  survived: "bg-green-50 text-green-800 ring-green-600/30 dark:bg-green-950 dark:text-green-200 dark:ring-green-400/30",
  restarted:
    "bg-amber-50 text-amber-900 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-400/30",
  absent: "bg-zinc-100 text-zinc-700 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/30",
  unknown: "bg-zinc-100 text-zinc-700 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/30",
};

const outcomeHints: Record<UnitOutcome, string> = {
  survived: "Same InvocationID before and after: it kept running through the reboot.",
  restarted: "A new InvocationID: it was stopped and started again.",
  absent: "Not running after the reboot.",
  unknown: "The agent could not tell.",
};

function Gap({ unit }: { unit: UnitContinuity }) {
  if (unit.outcome === "survived") return <span className="text-zinc-600 dark:text-zinc-400">none</span>;
  if (unit.outcome !== "restarted") return <span className="text-zinc-600 dark:text-zinc-400">—</span>;
  const gap = gapMs(unit.inactiveEnterUsec, unit.activeEnterUsec);
  if (gap === null) return <span className="text-zinc-600 dark:text-zinc-400">unknown</span>;
  return (
    <span
      className="tabular-nums"
      title={`Inactive at ${unit.inactiveEnterUsec} µs, active again at ${unit.activeEnterUsec} µs (node CLOCK_MONOTONIC)`}
    >
      {formatMs(gap, 1)}
    </span>
  );
}

const fdStoreTexts: Record<FdStoreOutcome, { label: string; hint: string; warn: boolean }> = {
  kept: { label: "fds kept", hint: "The service got its stored fds back after the reboot.", warn: false },
  emptied: {
    label: "fd store emptied",
    hint: "FileDescriptorStorePreserve=yes, yet the store lost its fds: the service started without them.",
    warn: true,
  },
  "not-preserved": {
    label: "fd store not preserved",
    hint: "FileDescriptorStorePreserve is not yes: the store is emptied whenever the service stops, as in a soft-reboot.",
    warn: true,
  },
  empty: { label: "fd store empty", hint: "The service held no fds in its store before the reboot.", warn: false },
  unknown: { label: "fd store", hint: "The count before the reboot is not known.", warn: false },
};

/** A service's fd store across the reboot: the count before → after, and what it means. */
function FdStore({ store }: { store: FdStoreChange }) {
  const text = fdStoreTexts[fdStoreOutcome(store)];
  return (
    <div className="mt-1 text-xs" data-testid="fd-store">
      <span
        className={text.warn ? "font-medium text-red-700 dark:text-red-400" : "text-zinc-600 dark:text-zinc-400"}
        title={text.hint}
      >
        {text.label}: {store.before ?? "?"} → {store.after} of {store.max}
      </span>
      <span className="ml-1 text-zinc-600 dark:text-zinc-400">(FileDescriptorStorePreserve={store.preserve})</span>
    </div>
  );
}

/** What became of each watched unit in one reboot. */
export function RecordUnits({ units, caption }: { units: unknown; caption: string }) {
  const list = unitContinuity(units);
  if (list.length === 0) {
    return <p className="text-zinc-600 dark:text-zinc-400">No services were watched during this reboot.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th className={thClass}>Unit</th>
            <th className={thClass}>Outcome</th>
            <th className={`${thClass} text-right`}>Gap</th>
            <th className={thClass}>Invocation ID before → after</th>
          </tr>
        </thead>
        <tbody>
          {list.map((unit) => (
            <tr key={unit.name}>
              <td className={`${tdClass} font-mono text-xs`}>{unit.name}</td>
              <td className={tdClass}>
                <span className={`${badge} ${outcomeStyles[unit.outcome]}`} title={outcomeHints[unit.outcome]}>
                  {unit.outcome}
                </span>
                {unit.survives && unit.outcome !== "survived" && (
                  <span className="ml-2 font-medium text-red-700 dark:text-red-400">
                    survival failed: {unit.outcome}
                  </span>
                )}
                {unit.survives && unit.outcome === "survived" && unit.mainPidAfter ? (
                  <span className="ml-2 text-xs text-zinc-600 dark:text-zinc-400">same PID {unit.mainPidAfter}</span>
                ) : null}
                {unit.fdStore && <FdStore store={unit.fdStore} />}
              </td>
              <td className={`${tdClass} text-right`}>
                <Gap unit={unit} />
              </td>
              <td className={`${tdClass} font-mono text-xs`}>
                <span title={unit.invocationIdBefore ?? undefined}>{shortId(unit.invocationIdBefore)}</span>
                {" → "}
                <span title={unit.invocationIdAfter ?? undefined}>{shortId(unit.invocationIdAfter)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
