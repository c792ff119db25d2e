"use client";

import { applyFleetDelta, type FleetQuery, fleetQueryFromSearch, fleetQueryToSearch } from "@softfleet/api/fleet-view";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { LiveIndicator } from "~/components/live-indicator";
import { EmptyState, FormError, PageHeader } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useLiveStream } from "~/trpc/live";
import { FleetFilters, StatusChips } from "./fleet-filters";
import { FleetPager, FleetTable } from "./fleet-table";

const number = new Intl.NumberFormat("en");

/**
 * The fleet page: one page of nodes, filtered, sorted and paged by the
 * server, as the URL says (a link or a reload shows the same view). Its live
 * stream carries the rows of this page and the counts, and only when they
 * change.
 */
export function FleetView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const search = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const { query, dropped } = useMemo(() => fleetQueryFromSearch(new URLSearchParams(search.toString())), [search]);
  const navigate = useCallback(
    (next: FleetQuery) => {
      const params = fleetQueryToSearch(next).toString();
      router.replace(params ? `${pathname}?${params}` : pathname, { scroll: false });
    },
    [router, pathname],
  );
  /** A new filter or order starts at the first page. */
  const refine = useCallback(
    (change: Partial<FleetQuery>) => navigate({ ...query, page: 1, ...change }),
    [navigate, query],
  );

  const page = useQuery({ ...trpc.nodes.page.queryOptions(query), placeholderData: keepPreviousData });
  const key = trpc.nodes.page.queryKey(query);
  const live = useLiveStream(
    trpc.live.fleet.subscriptionOptions(query, {
      onData: (message) => {
        if (message.kind === "snapshot") queryClient.setQueryData(key, message.page);
        else queryClient.setQueryData(key, (shown) => (shown ? applyFleetDelta(shown, message.delta) : shown));
      },
    }),
  );

  const counts = page.data?.counts;
  const filtered = query.status || query.group || query.label || query.image || query.q;
  return (
    <>
      <PageHeader
        title="Fleet"
        description="Every host running the softfleet agent."
        actions={
          <div className="flex items-center gap-4">
            {counts && counts.total > 0 && (
              <p className="text-zinc-600 dark:text-zinc-400">
                {number.format(counts.total)} {counts.total === 1 ? "node" : "nodes"}, {number.format(counts.online)}{" "}
                online
              </p>
            )}
            <LiveIndicator status={live} />
          </div>
        }
      />
      {dropped.length > 0 && (
        <FormError>The link asked for something this page cannot show, left out: {dropped.join("; ")}.</FormError>
      )}
      {page.error && <FormError>{errorMessage(page.error)}</FormError>}
      {counts && counts.total === 0 && (
        <EmptyState title="No nodes yet">
          Nodes appear here once their agent enrolls. Install the softfleet agent on a host and give it an enrollment
          token from Settings.
        </EmptyState>
      )}
      {(page.isPending || (counts && counts.total > 0)) && (
        <>
          <StatusChips query={query} counts={counts} refine={refine} />
          <FleetFilters query={query} images={counts?.images ?? []} refine={refine} />
          {page.isPending && <p role="status">Loading nodes…</p>}
          {page.data && (
            <>
              {page.data.rows.length === 0 ? (
                <p role="status" className="py-6 text-zinc-600 dark:text-zinc-400">
                  No node matches {filtered ? "these filters" : "this page"}.
                </p>
              ) : (
                <FleetTable rows={page.data.rows} query={query} refine={refine} stale={page.isPlaceholderData} />
              )}
              <FleetPager query={query} matching={page.data.counts.matching} navigate={navigate} />
            </>
          )}
        </>
      )}
    </>
  );
}
