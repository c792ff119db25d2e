"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button, Field, Select, TextInput } from "~/components/ui";
import { useTRPC } from "~/trpc/client";
import { lastDays, REPORT_PRESETS, rangeQuery } from "./range";

type Days = { from: string; to: string; group: string };

/** The report's time range (UTC days, both included) and group, kept in the URL. */
export function RangeForm({ days }: { days: Days }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const router = useRouter();
  const [draft, setDraft] = useState(days);
  return (
    <form
      className="mb-6 flex flex-wrap items-end gap-3 print:hidden"
      onSubmit={(event) => {
        event.preventDefault();
        router.push(`/reports?${rangeQuery(draft)}`);
      }}
    >
      <Field label="From (UTC day)" htmlFor="report-from">
        <TextInput
          id="report-from"
          type="date"
          value={draft.from}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
        />
      </Field>
      <Field label="To (UTC day, included)" htmlFor="report-to">
        <TextInput
          id="report-to"
          type="date"
          value={draft.to}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
        />
      </Field>
      <Field label="Group" htmlFor="report-group">
        <Select id="report-group" value={draft.group} onChange={(e) => setDraft({ ...draft, group: e.target.value })}>
          <option value="">Whole fleet</option>
          {groups.data?.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Select>
      </Field>
      <Button type="submit">Show</Button>
      <nav aria-label="Ranges" className="flex flex-wrap items-center gap-3 pb-1.5 text-sm">
        {REPORT_PRESETS.map((preset) => {
          const target = lastDays(preset.days, days.group);
          const current = target.from === days.from && target.to === days.to;
          return (
            <Link
              key={preset.days}
              href={`/reports?${rangeQuery(target)}`}
              aria-current={current ? "page" : undefined}
              className="text-sky-700 hover:underline aria-[current=page]:font-semibold aria-[current=page]:text-zinc-900 aria-[current=page]:no-underline dark:text-sky-400 dark:aria-[current=page]:text-zinc-100"
            >
              {preset.label}
            </Link>
          );
        })}
      </nav>
    </form>
  );
}
