"use client";

import type { RouterOutputs } from "@softfleet/api";
import { GROUP_PAGE_SIZES } from "@softfleet/api/group-view";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { HostnameSearch } from "~/components/hostname-search";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { Pager } from "~/components/pager";
import { Button, FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "../use-groups";
import { useClampedPage, usePagedSearch } from "./use-paged-search";

type Group = RouterOutputs["groups"]["get"];

/**
 * The nodes that could join the group, a page at a time from the server,
 * found by part of their hostname. A selection holds across pages and searches.
 */
export function AddMembers({ group }: { group: Group }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const search = usePagedSearch();
  const candidates = useQuery({
    ...trpc.groups.candidates.queryOptions({ groupId: group.id, ...search.query }),
    placeholderData: keepPreviousData,
  });
  useClampedPage(search, candidates.data?.matching);
  const [selected, setSelected] = useState<Map<string, string>>(new Map());
  const add = useMutation(
    trpc.groups.addMembers.mutationOptions({
      onSuccess: async () => {
        setSelected(new Map());
        await invalidate();
      },
    }),
  );

  if (candidates.isPending) return <p role="status">Loading nodes…</p>;
  if (candidates.error) return <FormError>{errorMessage(candidates.error)}</FormError>;
  const data = candidates.data;
  if (data.fleet === 0) {
    return (
      <p className="max-w-prose text-zinc-600 dark:text-zinc-400">
        There are no nodes to add yet. Nodes appear in the fleet when their softfleet agent enrolls with an enrollment
        token from Settings.
      </p>
    );
  }
  if (data.candidates === 0) {
    return <p className="text-zinc-600 dark:text-zinc-400">Every node in the fleet is already in this group.</p>;
  }

  const toggle = (node: { id: string; hostname: string }, on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (on) next.set(node.id, node.hostname);
      else next.delete(node.id);
      return next;
    });
  const shown = data.rows;
  const allShown = shown.length > 0 && shown.every((node) => selected.has(node.id));

  return (
    <form
      className="max-w-xl space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        if (selected.size > 0) add.mutate({ groupId: group.id, nodeIds: [...selected.keys()] });
      }}
    >
      <HostnameSearch
        id="member-filter"
        label="Filter nodes"
        value={search.text}
        onChange={search.setText}
        className=""
      />
      <fieldset
        className="rounded-md border border-zinc-200 dark:border-zinc-800"
        aria-busy={candidates.isPlaceholderData}
      >
        <legend className="sr-only">Nodes not in this group</legend>
        <label className="flex items-center gap-2 border-b border-zinc-200 px-3 py-1.5 text-xs font-medium text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          <input
            type="checkbox"
            checked={allShown}
            disabled={shown.length === 0}
            onChange={(e) => {
              for (const node of shown) toggle(node, e.target.checked);
            }}
          />
          Select all shown ({shown.length})
        </label>
        <ul className="max-h-72 overflow-y-auto">
          {shown.map((node) => (
            <li key={node.id}>
              <label className="flex items-center gap-2 px-3 py-1.5 hover:bg-zinc-50 dark:hover:bg-zinc-900">
                <input
                  type="checkbox"
                  checked={selected.has(node.id)}
                  onChange={(e) => toggle(node, e.target.checked)}
                />
                <span className="font-medium">{node.hostname}</span>
                <StatusBadge status={node.status} />
                {node.simulated && <SimulatedBadge />}
                <span className="ml-auto font-mono text-xs text-zinc-500 dark:text-zinc-400">
                  {node.imageVersion ?? ""}
                </span>
              </label>
            </li>
          ))}
          {shown.length === 0 && <li className="px-3 py-1.5 text-zinc-500 dark:text-zinc-400">No node matches.</li>}
        </ul>
      </fieldset>
      {(data.matching > search.pageSize || search.page > 1) && (
        <Pager
          label="Pages of nodes to add"
          id="candidates-page-size"
          noun="Nodes"
          page={search.page}
          pageSize={search.pageSize}
          sizes={GROUP_PAGE_SIZES}
          matching={data.matching}
          onPage={search.setPage}
          onPageSize={search.setPageSize}
        />
      )}
      {add.error && <FormError>{errorMessage(add.error)}</FormError>}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={selected.size === 0 || add.isPending}>
          {add.isPending ? "Adding…" : "Add members"}
        </Button>
        <span className="text-zinc-600 dark:text-zinc-400" aria-live="polite">
          {selected.size} selected
        </span>
        {selected.size > 0 && (
          <Button kind="secondary" onClick={() => setSelected(new Map())}>
            Clear selection
          </Button>
        )}
      </div>
    </form>
  );
}
