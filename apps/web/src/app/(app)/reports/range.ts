/**
 * The fleet report's range in the URL: ?from=YYYY-MM-DD&to=YYYY-MM-DD&group=<id>, the last 90 days by default
 * (the control process keeps that range's settled figures ready: apps/control/src/reports/warm.ts).
 */

const DAY_MS = 86_400_000;

export interface RangeSearch {
  from?: string | null;
  to?: string | null;
  group?: string | null;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/** The ranges offered in one click (control keeps their figures ready: apps/control/src/reports/warm.ts). */
export const REPORT_PRESETS = [
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
  { days: 366, label: "Last year" },
] as const;

/** The last `days` UTC days, today included, as the form shows them. */
export function lastDays(days: number, group: string, now = new Date()): { from: string; to: string; group: string } {
  const to = day(now);
  return { from: day(new Date(new Date(`${to}T00:00:00Z`).getTime() - (days - 1) * DAY_MS)), to, group };
}

/** The range's days as the form shows them (to is inclusive). */
export function rangeDays(search: RangeSearch, now = new Date()): { from: string; to: string; group: string } {
  const to = search.to && /^\d{4}-\d{2}-\d{2}$/.test(search.to) ? search.to : day(now);
  const from =
    search.from && /^\d{4}-\d{2}-\d{2}$/.test(search.from)
      ? search.from
      : day(new Date(new Date(`${to}T00:00:00Z`).getTime() - 89 * DAY_MS));
  return { from, to, group: search.group ?? "" };
}

/** The API's range: from the start of `from` to the end of `to` (UTC days). */
export function rangeOf(days: { from: string; to: string; group: string }) {
  return {
    from: new Date(`${days.from}T00:00:00Z`),
    to: new Date(new Date(`${days.to}T00:00:00Z`).getTime() + DAY_MS),
    groupId: days.group || null,
  };
}

export function rangeFromSearch(params: URLSearchParams) {
  return rangeOf(rangeDays({ from: params.get("from"), to: params.get("to"), group: params.get("group") }));
}

export function rangeQuery(days: { from: string; to: string; group: string }): string {
  const params = new URLSearchParams({ from: days.from, to: days.to });
  if (days.group) params.set("group", days.group);
  return params.toString();
}
