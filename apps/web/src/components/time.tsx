"use client";

import { useEffect, useState } from "react";

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function formatRelative(date: Date, now: number): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  if (Math.abs(seconds) < 10) return "just now";
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(seconds, "second");
}

/** The current time, refreshed every `intervalMs`, so relative times stay true. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "5 minutes ago", with the exact local time on hover and the ISO time for machines. */
export function RelativeTime({ date, fallback = "never" }: { date: Date | null | undefined; fallback?: string }) {
  const now = useNow(30_000);
  if (!date) return <span className="text-zinc-500 dark:text-zinc-400">{fallback}</span>;
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()} suppressHydrationWarning>
      {formatRelative(date, now)}
    </time>
  );
}

/** A local date and time, with the ISO time in the title. */
export function LocalTime({ date }: { date: Date }) {
  return (
    <time
      dateTime={date.toISOString()}
      title={date.toISOString()}
      className="whitespace-nowrap"
      suppressHydrationWarning
    >
      {date.toLocaleString()}
    </time>
  );
}
