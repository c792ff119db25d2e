"use client";

import type { FleetCounts, FleetQuery } from "@softfleet/api/fleet-view";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { HostnameSearch } from "~/components/hostname-search";
import { Field, Select, TextInput } from "~/components/ui";
import { useTRPC } from "~/trpc/client";

const number = new Intl.NumberFormat("en");

const STATUSES: Array<{ value: FleetQuery["status"]; label: string; count: (c: FleetCounts) => number }> = [
  { value: undefined, label: "All", count: (c) => c.total },
  { value: "online", label: "Online", count: (c) => c.online },
  { value: "rebooting", label: "Rebooting now", count: (c) => c.rebooting },
  { value: "offline", label: "Offline", count: (c) => c.offline },
  { value: "unknown", label: "Never connected", count: (c) => c.unknown },
  { value: "revoked", label: "Revoked", count: (c) => c.revoked },
];

/** The fleet by status, each a filter: the counts come with the page, from one aggregate query. */
export function StatusChips({
  query,
  counts,
  refine,
}: {
  query: FleetQuery;
  counts: FleetCounts | undefined;
  refine: (change: Partial<FleetQuery>) => void;
}) {
  return (
    <fieldset className="mb-3 flex flex-wrap gap-2">
      <legend className="sr-only">Show nodes by state</legend>
      {STATUSES.filter((s) => s.value === undefined || !counts || s.count(counts) > 0 || query.status === s.value).map(
        (s) => {
          const active = query.status === s.value;
          return (
            <button
              key={s.label}
              type="button"
              aria-pressed={active}
              onClick={() => refine({ status: s.value })}
              className={`rounded-full border px-3 py-0.5 text-sm ${
                active
                  ? "border-sky-700 bg-sky-700 text-white dark:border-sky-400 dark:bg-sky-400 dark:text-zinc-950"
                  : "border-zinc-300 text-zinc-700 hover:bg-zinc-100 dark:border-zinc-700 dark:text-zinc-300 dark:hover:bg-zinc-800"
              }`}
            >
              {s.label}
              {counts && <span className="ml-1 tabular-nums opacity-80">{number.format(s.count(counts))}</span>}
            </button>
          );
        },
      )}
    </fieldset>
  );
}

/** Hostname, group, label and image filters. Text applies as one types (after a pause), or on Enter. */
export function FleetFilters({
  query,
  images,
  refine,
}: {
  query: FleetQuery;
  images: FleetCounts["images"];
  refine: (change: Partial<FleetQuery>) => void;
}) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const [q, setQ] = useState(query.q ?? "");
  const [label, setLabel] = useState(query.label ?? "");
  // The URL changed by other means (back, a chip, a link): show what it says.
  useEffect(() => setQ(query.q ?? ""), [query.q]);
  useEffect(() => setLabel(query.label ?? ""), [query.label]);
  const labelValid = label.trim() === "" || /^[^=]+=.*$/.test(label.trim());
  useEffect(() => {
    const timer = setTimeout(() => {
      const nextQ = q.trim() || undefined;
      const nextLabel = labelValid ? label.trim() || undefined : query.label;
      if (nextQ !== query.q || nextLabel !== query.label) refine({ q: nextQ, label: nextLabel });
    }, 300);
    return () => clearTimeout(timer);
  }, [q, label, labelValid, query.q, query.label, refine]);
  const active = query.q || query.group || query.label || query.image;
  return (
    <form
      aria-label="Filter the fleet"
      className="mb-4 flex flex-wrap items-end gap-3"
      onSubmit={(event) => {
        event.preventDefault();
        refine({ q: q.trim() || undefined, label: labelValid ? label.trim() || undefined : query.label });
      }}
    >
      <HostnameSearch id="fleet-q" label="Hostname" value={q} onChange={setQ} />
      <Field label="Group" htmlFor="fleet-group">
        <Select
          id="fleet-group"
          value={query.group ?? ""}
          onChange={(e) => refine({ group: e.target.value || undefined })}
          className="w-44"
        >
          <option value="">All groups</option>
          {groups.data?.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Label" htmlFor="fleet-label" hint={labelValid ? undefined : "key=value"}>
        <TextInput
          id="fleet-label"
          type="search"
          placeholder="key=value"
          maxLength={200}
          value={label}
          aria-invalid={!labelValid}
          onChange={(e) => setLabel(e.target.value)}
          className="w-40 font-mono"
        />
      </Field>
      <Field label="Image version" htmlFor="fleet-image">
        <Select
          id="fleet-image"
          value={query.image ?? ""}
          onChange={(e) => refine({ image: e.target.value || undefined })}
          className="w-40"
        >
          <option value="">All versions</option>
          {query.image && !images.some((i) => (i.version ?? "none") === query.image) && (
            <option value={query.image}>{query.image}</option>
          )}
          {images.map((i) => (
            <option key={i.version ?? "none"} value={i.version ?? "none"}>
              {i.version ?? "none reported"} ({number.format(i.count)})
            </option>
          ))}
        </Select>
      </Field>
      {active && (
        <button
          type="button"
          className="pb-1.5 text-sm text-sky-700 hover:underline dark:text-sky-400"
          onClick={() => refine({ q: undefined, group: undefined, label: undefined, image: undefined })}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}
