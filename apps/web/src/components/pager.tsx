"use client";

import { Select } from "~/components/ui";

const number = new Intl.NumberFormat("en");

/**
 * Which rows of how many, the previous and next pages, and the page size: the
 * footer of every list paged on the server.
 */
export function Pager({
  label,
  id,
  noun,
  page,
  pageSize,
  sizes,
  matching,
  onPage,
  onPageSize,
}: {
  /** The navigation's accessible name ("Pages", "Member pages"). */
  label: string;
  /** Names the page-size control (unique on the page). */
  id: string;
  /** What the rows are, plural and capitalized: "Nodes", "Members". */
  noun: string;
  page: number;
  pageSize: number;
  sizes: readonly number[];
  matching: number;
  onPage: (page: number) => void;
  onPageSize: (pageSize: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(matching / pageSize));
  const first = matching === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(matching, page * pageSize);
  const button =
    "rounded-md border border-zinc-300 px-3 py-1 text-sm enabled:hover:bg-zinc-100 disabled:opacity-40 dark:border-zinc-700 dark:enabled:hover:bg-zinc-800";
  return (
    <nav aria-label={label} className="mt-3 flex flex-wrap items-center justify-between gap-3 text-sm">
      <p role="status" className="text-zinc-600 dark:text-zinc-400">
        {matching === 0
          ? `No matching ${noun.toLowerCase()}`
          : `${noun} ${number.format(first)}–${number.format(last)} of ${number.format(matching)}`}
        {pages > 1 && ` · page ${number.format(page)} of ${number.format(pages)}`}
      </p>
      <div className="flex items-center gap-2">
        <label htmlFor={id} className="text-zinc-600 dark:text-zinc-400">
          Per page
        </label>
        <Select id={id} value={String(pageSize)} onChange={(e) => onPageSize(Number(e.target.value))} className="w-20">
          {sizes.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </Select>
        <button type="button" className={button} disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </button>
        <button type="button" className={button} disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next
        </button>
      </div>
    </nav>
  );
}
