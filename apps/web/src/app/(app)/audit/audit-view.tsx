"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Button, EmptyState, FormError, PageHeader } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { AuditFilters, type AuditFilterValues, emptyFilters } from "./audit-filters";
import { AuditTable } from "./audit-table";

/** A yyyy-mm-dd date input as the start (or end) of that local day. */
function localDay(value: string, endOfDay: boolean): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T${endOfDay ? "23:59:59.999" : "00:00:00"}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function toInput(filters: AuditFilterValues) {
  return {
    action: filters.action || undefined,
    actor: filters.actor.trim() || undefined,
    target: filters.target.trim() || undefined,
    from: localDay(filters.from, false),
    to: localDay(filters.to, true),
  };
}

export function AuditView() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState<AuditFilterValues>(emptyFilters);
  const [applied, setApplied] = useState<AuditFilterValues>(emptyFilters);

  // Typing settles for a moment before the list reloads; selects and dates apply at once.
  useEffect(() => {
    if (draft === applied) return;
    const typing = draft.actor !== applied.actor || draft.target !== applied.target;
    const timer = setTimeout(() => setApplied(draft), typing ? 300 : 0);
    return () => clearTimeout(timer);
  }, [draft, applied]);

  const input = useMemo(() => toInput(applied), [applied]);
  const log = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, {
      getNextPageParam: (page) => page.nextCursor,
      placeholderData: keepPreviousData,
    }),
  );
  const entries = useMemo(() => log.data?.pages.flatMap((page) => page.entries) ?? [], [log.data]);
  const filtered = Object.values(applied).some(Boolean);

  return (
    <>
      <PageHeader title="Audit log" description="Every change, who made it, and from where. Newest first." />
      <AuditFilters values={draft} onChange={setDraft} onSubmit={() => setApplied(draft)} />
      {log.isPending && <p role="status">Loading the audit log…</p>}
      {log.error && <FormError>{errorMessage(log.error)}</FormError>}
      {log.isSuccess && entries.length === 0 && (
        <EmptyState title={filtered ? "No matching entries" : "No entries yet"}>
          {filtered ? "Nothing in the audit log matches these filters." : "Changes will be recorded here."}
        </EmptyState>
      )}
      {entries.length > 0 && (
        <>
          <div className={log.isPlaceholderData ? "opacity-60" : undefined} aria-busy={log.isPlaceholderData}>
            <AuditTable entries={entries} />
          </div>
          <div className="mt-3 flex items-center gap-3">
            {log.hasNextPage ? (
              <Button kind="secondary" onClick={() => log.fetchNextPage()} disabled={log.isFetchingNextPage}>
                {log.isFetchingNextPage ? "Loading…" : "Load more"}
              </Button>
            ) : (
              <span className="text-zinc-500 dark:text-zinc-400">End of the log.</span>
            )}
            <span className="text-zinc-500 dark:text-zinc-400" aria-live="polite">
              {entries.length} {entries.length === 1 ? "entry" : "entries"} shown
            </span>
          </div>
        </>
      )}
    </>
  );
}
