"use client";

import {
  MAX_PAGE,
  ROLLOUT_NODE_STATUSES,
  ROLLOUT_PAGE_SIZES,
  type RolloutViewQuery,
  rolloutViewQuery,
} from "@softfleet/api/rollout-view";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";

/** The page size a URL without one means: the query's own default. */
const DEFAULT_PAGE_SIZE = rolloutViewQuery.parse({ id: "-" }).pageSize;

/**
 * The rollout page's query in its URL (?status=failed&page=2&pageSize=100):
 * which nodes it shows. A value the page does not offer is left out (the
 * page shows all nodes, page 1), never an error.
 */
export function useRolloutQuery(id: string) {
  const search = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const query = useMemo<RolloutViewQuery>(() => {
    const status = search.get("status");
    const page = Number(search.get("page"));
    const pageSize = Number(search.get("pageSize"));
    const parsed = rolloutViewQuery.safeParse({
      id,
      status: (ROLLOUT_NODE_STATUSES as readonly string[]).includes(status ?? "") ? status : undefined,
      page: Number.isInteger(page) && page >= 1 && page <= MAX_PAGE ? page : 1,
      pageSize: (ROLLOUT_PAGE_SIZES as readonly number[]).includes(pageSize) ? pageSize : undefined,
    });
    return parsed.success ? parsed.data : rolloutViewQuery.parse({ id });
  }, [id, search]);
  const navigate = useCallback(
    (next: RolloutViewQuery) => {
      const params = new URLSearchParams();
      if (next.status) params.set("status", next.status);
      if (next.page !== 1) params.set("page", String(next.page));
      if (next.pageSize !== DEFAULT_PAGE_SIZE) params.set("pageSize", String(next.pageSize));
      const qs = params.toString();
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [router, pathname],
  );
  return { query, navigate };
}
