"use client";

import { GROUP_PAGE_SIZES } from "@softfleet/api/group-view";
import { useEffect, useState } from "react";

/**
 * A list's search box and page, for a list paged on the server: the text as
 * typed, and the query sent 300 ms after typing stops (a new search starts
 * again at page 1).
 */
export function usePagedSearch() {
  const [text, setText] = useState("");
  const [q, setQ] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState<number>(GROUP_PAGE_SIZES[0]);
  useEffect(() => {
    const timer = setTimeout(() => {
      const next = text.trim() || undefined;
      if (next !== q) {
        setQ(next);
        setPage(1);
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [text, q]);
  return {
    text,
    setText,
    page,
    setPage,
    pageSize,
    setPageSize: (size: number) => {
      setPageSize(size);
      setPage(1);
    },
    query: { q, page, pageSize },
  };
}

export type PagedSearch = ReturnType<typeof usePagedSearch>;

/** After rows left the list (removed, added elsewhere), a page past the end goes back to the last one. */
export function useClampedPage(search: PagedSearch, matching: number | undefined) {
  const { page, pageSize, setPage } = search;
  useEffect(() => {
    if (matching === undefined) return;
    const last = Math.max(1, Math.ceil(matching / pageSize));
    if (page > last) setPage(last);
  }, [matching, page, pageSize, setPage]);
}
