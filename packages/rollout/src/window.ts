import { type MaintenanceWindow, type Weekday, weekdays } from "./plan";

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** The weekday (0 = Monday) and minute of the day on the wall clock of `timeZone`. */
export function wallClock(at: Date, timeZone: string): { day: number; minute: number } {
  let weekday = "";
  let hour = 0;
  let minute = 0;
  for (const part of format(timeZone).formatToParts(at)) {
    if (part.type === "weekday") weekday = part.value.toLowerCase();
    else if (part.type === "hour") hour = Number(part.value);
    else if (part.type === "minute") minute = Number(part.value);
  }
  return { day: weekdays.indexOf(weekday as Weekday), minute: hour * 60 + minute };
}

function minutes(clock: string): number {
  const [h, m] = clock.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * Whether `at` is inside the window, by the wall clock of its time zone. A window past
 * midnight (end before start) belongs to the day it starts; start equal to end is the whole day.
 * On a DST change the wall clock decides: a start inside the skipped hour opens the window at
 * the first minute after it, and a repeated hour is in the window both times (nextWindowOpening
 * does not look for a second opening inside a repeated hour).
 */
export function isInWindow(window: MaintenanceWindow, at: Date): boolean {
  const { day, minute } = wallClock(at, window.timeZone);
  const allowed = (d: number) => window.days.includes(weekdays[(d + 7) % 7]!);
  const start = minutes(window.start);
  const end = minutes(window.end);
  if (start === end) return allowed(day);
  if (start < end) return allowed(day) && minute >= start && minute < end;
  return (allowed(day) && minute >= start) || (allowed(day - 1) && minute < end);
}

/** Wall-clock minutes from (day, minute) to the next start of the window, ignoring DST. */
function wallMinutesToOpening(window: MaintenanceWindow, day: number, minute: number): number {
  const open = window.start === window.end ? 0 : minutes(window.start);
  for (let ahead = 0; ahead <= 7; ahead++) {
    const until = ahead * DAY_MINUTES + open - minute;
    if (until > 0 && window.days.includes(weekdays[(day + ahead) % 7]!)) return until;
  }
  return 7 * DAY_MINUTES;
}

/**
 * `at` itself when it is inside the window, else the first instant after it that is.
 * Jumps by wall-clock minutes, then steps back over what a DST change shifted
 * (time zones today are offset from UTC by whole minutes).
 */
export function nextWindowOpening(window: MaintenanceWindow, at: Date): Date | null {
  if (isInWindow(window, at)) return at;
  let outside = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS;
  for (let jump = 0; jump < 16; jump++) {
    const { day, minute } = wallClock(new Date(outside), window.timeZone);
    let candidate = outside + wallMinutesToOpening(window, day, minute) * MINUTE_MS;
    if (!isInWindow(window, new Date(candidate))) {
      outside = candidate;
      continue;
    }
    while (candidate - MINUTE_MS > outside && isInWindow(window, new Date(candidate - MINUTE_MS))) {
      candidate -= MINUTE_MS;
    }
    return new Date(candidate);
  }
  return null;
}
