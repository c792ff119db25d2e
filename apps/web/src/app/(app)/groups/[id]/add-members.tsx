"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "../use-groups";

type Group = RouterOutputs["groups"]["get"];

export function AddMembers({ group }: { group: Group }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState("");
  const add = useMutation(
    trpc.groups.addMembers.mutationOptions({
      onSuccess: async () => {
        setSelected(new Set());
        await invalidate();
      },
    }),
  );

  const candidates = useMemo(() => {
    const members = new Set(group.members.map((m) => m.node.id));
    return (nodes.data ?? []).filter((node) => !members.has(node.id));
  }, [nodes.data, group.members]);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? candidates.filter((node) => node.hostname.toLowerCase().includes(needle)) : candidates;

  if (nodes.isPending) return <p role="status">Loading nodes…</p>;
  if (nodes.error) return <FormError>{errorMessage(nodes.error)}</FormError>;
  if (nodes.data.length === 0) {
    return (
      <p className="max-w-prose text-zinc-600 dark:text-zinc-400">
        There are no nodes to add yet. Nodes appear in the fleet when their softfleet agent enrolls with an enrollment
        token from Settings.
      </p>
    );
  }
  if (candidates.length === 0) {
    return <p className="text-zinc-600 dark:text-zinc-400">Every node in the fleet is already in this group.</p>;
  }

  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allShown = shown.length > 0 && shown.every((node) => selected.has(node.id));

  return (
    <form
      className="max-w-xl space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        if (selected.size > 0) add.mutate({ groupId: group.id, nodeIds: [...selected] });
      }}
    >
      {candidates.length > 8 && (
        <Field label="Filter nodes" htmlFor="member-filter">
          <TextInput id="member-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </Field>
      )}
      <fieldset className="rounded-md border border-zinc-200 dark:border-zinc-800">
        <legend className="sr-only">Nodes not in this group</legend>
        <label className="flex items-center gap-2 border-b border-zinc-200 px-3 py-1.5 text-xs font-medium text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          <input
            type="checkbox"
            checked={allShown}
            onChange={(e) => {
              for (const node of shown) toggle(node.id, e.target.checked);
            }}
          />
          Select all {needle ? "shown" : ""} ({shown.length})
        </label>
        <ul className="max-h-72 overflow-y-auto">
          {shown.map((node) => (
            <li key={node.id}>
              <label className="flex items-center gap-2 px-3 py-1.5 hover:bg-zinc-50 dark:hover:bg-zinc-900">
                <input
                  type="checkbox"
                  checked={selected.has(node.id)}
                  onChange={(e) => toggle(node.id, e.target.checked)}
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
      {add.error && <FormError>{errorMessage(add.error)}</FormError>}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={selected.size === 0 || add.isPending}>
          {add.isPending ? "Adding…" : "Add members"}
        </Button>
        <span className="text-zinc-600 dark:text-zinc-400" aria-live="polite">
          {selected.size} selected
        </span>
      </div>
    </form>
  );
}
