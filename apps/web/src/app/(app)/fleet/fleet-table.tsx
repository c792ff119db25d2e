"use client";

import { FLEET_PAGE_SIZES, type FleetQuery, type FleetRow } from "@softfleet/api/fleet-view";
import Link from "next/link";
import { memo } from "react";
import { Downtime } from "~/components/downtime";
import { LabelList } from "~/components/labels";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { Pager } from "~/components/pager";
import { RelativeTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";

const linkClass = "text-sky-700 hover:underline dark:text-sky-400";

type Sort = FleetQuery["sort"];

/** A column header that sorts by its column: a button, with aria-sort on the header for screen readers. */
function SortHeader({
  label,
  sort,
  query,
  refine,
  numeric = false,
  children,
}: {
  label: string;
  sort: Sort;
  query: FleetQuery;
  refine: (change: Partial<FleetQuery>) => void;
  numeric?: boolean;
  children?: React.ReactNode;
}) {
  const active = query.sort === sort;
  const next = active && query.dir === "asc" ? "desc" : "asc";
  return (
    <th
      className={`${thClass} ${numeric ? "text-right" : ""}`}
      aria-sort={active ? (query.dir === "asc" ? "ascending" : "descending") : "none"}
    >
      <button
        type="button"
        className="inline-flex items-center gap-1 uppercase hover:text-zinc-900 dark:hover:text-zinc-100"
        onClick={() => refine({ sort, dir: next })}
        title={`Sort by ${label.toLowerCase()}, ${next === "asc" ? "ascending" : "descending"}`}
      >
        {children ?? label}
        <span aria-hidden="true" className={active ? "" : "opacity-30"}>
          {active && query.dir === "desc" ? "▼" : "▲"}
        </span>
      </button>
    </th>
  );
}

export function FleetTable({
  rows,
  query,
  refine,
  stale,
}: {
  rows: FleetRow[];
  query: FleetQuery;
  refine: (change: Partial<FleetQuery>) => void;
  /** The previous page, shown while the next one loads. */
  stale: boolean;
}) {
  return (
    <div className="overflow-x-auto">
      <table className={`${tableClass} ${stale ? "opacity-60" : ""}`} aria-busy={stale}>
        <caption className="sr-only">Nodes</caption>
        <thead>
          <tr>
            <SortHeader label="Host" sort="hostname" query={query} refine={refine} />
            <SortHeader label="State" sort="status" query={query} refine={refine} />
            <SortHeader label="Image version" sort="image" query={query} refine={refine} />
            <SortHeader label="Soft-reboots" sort="softReboots" query={query} refine={refine} numeric>
              <abbr title="SoftRebootsCount: soft-reboots since the last full boot" className="no-underline">
                Soft-reboots
              </abbr>
            </SortHeader>
            <th className={`${thClass} text-right`}>Last reboot downtime</th>
            <th className={thClass}>Groups</th>
            <th className={thClass}>Labels</th>
            <SortHeader label="Last seen" sort="lastSeen" query={query} refine={refine} />
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <FleetTableRow key={row.id} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A row re-renders only when its own data changed: a live delta replaces only the rows it carries. */
const FleetTableRow = memo(function FleetTableRow({ row }: { row: FleetRow }) {
  return (
    <tr>
      <td className={tdClass}>
        <Link href={`/nodes/${row.id}`} className={`mr-2 font-medium ${linkClass}`}>
          {row.hostname}
        </Link>
        {row.simulated && <SimulatedBadge />}
        {row.revoked && <span className="text-xs text-red-700 dark:text-red-400">revoked</span>}
      </td>
      <td className={tdClass}>
        <StatusBadge status={row.status} />
      </td>
      {/* The same size and line as the other cells; the staged image follows on that line. */}
      <td className={`${tdClass} whitespace-nowrap`}>
        <span className="font-mono">{row.imageVersion ?? "—"}</span>
        {row.nextrootStaged && (
          <span className="ml-1 text-zinc-600 dark:text-zinc-400" title="A new image is staged at /run/nextroot">
            <span aria-hidden="true">→ </span>
            <span className="sr-only">, staged: </span>
            <span className="font-mono">{row.nextrootImageVersion ?? "new image"}</span>
          </span>
        )}
      </td>
      <td className={`${tdClass} text-right tabular-nums`}>{row.softRebootsCount ?? "—"}</td>
      <td className={`${tdClass} text-right`}>
        <Downtime record={row.lastReboot} />
      </td>
      <td className={tdClass}>
        {row.groups.length === 0
          ? "—"
          : row.groups.map((group, i) => (
              <span key={group.id}>
                {i > 0 && ", "}
                <Link href={`/groups/${group.id}`} className={linkClass}>
                  {group.name}
                </Link>
              </span>
            ))}
      </td>
      <td className={tdClass}>
        {row.labels.length === 0 ? "—" : <LabelList labels={row.labels} label={`Labels of ${row.hostname}`} />}
      </td>
      <td className={tdClass}>
        <RelativeTime date={row.lastSeenAt ? new Date(row.lastSeenAt) : null} />
      </td>
    </tr>
  );
});

/** The fleet's pages: which rows of how many, the previous and next pages, and the page size. */
export function FleetPager({
  query,
  matching,
  navigate,
}: {
  query: FleetQuery;
  matching: number;
  navigate: (query: FleetQuery) => void;
}) {
  return (
    <Pager
      label="Pages"
      id="fleet-page-size"
      noun="Nodes"
      page={query.page}
      pageSize={query.pageSize}
      sizes={FLEET_PAGE_SIZES}
      matching={matching}
      onPage={(page) => navigate({ ...query, page })}
      onPageSize={(pageSize) => navigate({ ...query, page: 1, pageSize })}
    />
  );
}
