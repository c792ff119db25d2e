import { formatDuration } from "./format";

/** What a downtime needs of a reboot record (a fleet row carries only this of the last one). */
type RebootLike = { kind: string; beforeLost: boolean; phases: { totalMs: number | null } };

/** Why a reboot's downtime is missing or only partly known, or null when it is exact. */
export function downtimeCaveat(record: RebootLike | null | undefined): string | null {
  if (!record) return "No reboot recorded for this node yet.";
  if (record.phases.totalMs === null) {
    return record.beforeLost
      ? "Unknown: the node's state from before this reboot was lost (a full reboot empties /run), so when it went down is not known."
      : "Unknown: the node did not report enough timestamps to measure this reboot.";
  }
  if (record.kind !== "soft-reboot") {
    return "At least this long: after a full reboot the node's clock restarts, so only the time from the new userspace to the agent's reconnect is measured; firmware, kernel and the shutdown before are not included.";
  }
  return null;
}

/** A reboot's total downtime: "1.74 s", "≥ 12.30 s" for full reboots, "—" when unknown (why in the title). */
export function Downtime({ record }: { record: RebootLike | null | undefined }) {
  const caveat = downtimeCaveat(record);
  const total = record?.phases.totalMs ?? null;
  if (total === null) {
    return (
      <span title={caveat ?? undefined} className="text-zinc-500 dark:text-zinc-400">
        —<span className="sr-only"> ({caveat})</span>
      </span>
    );
  }
  const lowerBound = record?.kind !== "soft-reboot";
  return (
    <span
      title={caveat ?? `${total} ms, from the start of the shutdown to the agent's reconnect`}
      className="tabular-nums"
    >
      {lowerBound && (
        <>
          <span aria-hidden="true">≥ </span>
          <span className="sr-only">at least </span>
        </>
      )}
      {formatDuration(total)}
    </span>
  );
}
