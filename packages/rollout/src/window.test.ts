import { describe, expect, it } from "vitest";
import type { MaintenanceWindow } from "./plan";
import { isInWindow, nextWindowOpening } from "./window";

const at = (iso: string) => new Date(iso);

describe("isInWindow", () => {
  // Berlin is UTC+1 in March before the 29th.
  const weeknights: MaintenanceWindow = {
    days: ["mon", "tue", "wed", "thu", "fri"],
    start: "22:00",
    end: "06:00",
    timeZone: "Europe/Berlin",
  };

  it("reads the wall clock of the window's time zone", () => {
    expect(isInWindow(weeknights, at("2026-03-02T20:59:00Z"))).toBe(false); // Mon 21:59
    expect(isInWindow(weeknights, at("2026-03-02T21:00:00Z"))).toBe(true); // Mon 22:00
  });

  it("gives the hours past midnight to the day the window started", () => {
    expect(isInWindow(weeknights, at("2026-03-07T04:59:00Z"))).toBe(true); // Sat 05:59, Friday's window
    expect(isInWindow(weeknights, at("2026-03-07T05:00:00Z"))).toBe(false); // Sat 06:00: end is exclusive
    expect(isInWindow(weeknights, at("2026-03-07T22:00:00Z"))).toBe(false); // Sat 23:00
    expect(isInWindow(weeknights, at("2026-03-02T04:00:00Z"))).toBe(false); // Mon 05:00, Sunday is not a day
  });

  it("treats start equal to end as the whole day", () => {
    const weekend: MaintenanceWindow = { days: ["sat", "sun"], start: "00:00", end: "00:00", timeZone: "UTC" };
    expect(isInWindow(weekend, at("2026-03-06T23:59:59Z"))).toBe(false);
    expect(isInWindow(weekend, at("2026-03-07T00:00:00Z"))).toBe(true);
    expect(isInWindow(weekend, at("2026-03-08T23:59:00Z"))).toBe(true);
  });

  it("uses the half-hour offset of India", () => {
    const office: MaintenanceWindow = { days: ["mon"], start: "09:00", end: "17:00", timeZone: "Asia/Kolkata" };
    expect(isInWindow(office, at("2026-03-02T03:29:00Z"))).toBe(false); // 08:59 IST
    expect(isInWindow(office, at("2026-03-02T03:30:00Z"))).toBe(true); // 09:00 IST
  });
});

describe("nextWindowOpening", () => {
  it("is the instant itself inside the window", () => {
    const w: MaintenanceWindow = { days: ["mon"], start: "00:00", end: "00:00", timeZone: "UTC" };
    expect(nextWindowOpening(w, at("2026-03-02T10:11:12.345Z"))).toEqual(at("2026-03-02T10:11:12.345Z"));
  });

  it("finds the next allowed day, skipping the others", () => {
    const w: MaintenanceWindow = { days: ["mon", "thu"], start: "22:00", end: "06:00", timeZone: "Europe/Berlin" };
    // Tue 2026-03-03 12:00:30 Berlin -> Thu 22:00 Berlin = 21:00Z
    expect(nextWindowOpening(w, at("2026-03-03T11:00:30Z"))).toEqual(at("2026-03-05T21:00:00Z"));
    // Fri 07:00 -> the next Monday 22:00
    expect(nextWindowOpening(w, at("2026-03-06T06:00:00Z"))).toEqual(at("2026-03-09T21:00:00Z"));
  });

  it("opens at the first minute after the skipped hour when the start falls into it (spring, Berlin)", () => {
    // 2026-03-29 02:00 CET jumps to 03:00 CEST at 01:00Z.
    const w: MaintenanceWindow = { days: ["sun"], start: "02:30", end: "04:00", timeZone: "Europe/Berlin" };
    expect(isInWindow(w, at("2026-03-29T00:59:00Z"))).toBe(false); // 01:59 CET
    expect(nextWindowOpening(w, at("2026-03-29T00:00:00Z"))).toEqual(at("2026-03-29T01:00:00Z"));
  });

  it("counts the repeated hour when the clocks go back (autumn, Berlin)", () => {
    // 2026-10-25 03:00 CEST goes back to 02:00 CET at 01:00Z: 03:00 CET is 02:00Z, three real hours after 01:00 CEST.
    const w: MaintenanceWindow = { days: ["sun"], start: "03:00", end: "05:00", timeZone: "Europe/Berlin" };
    expect(nextWindowOpening(w, at("2026-10-24T23:00:00Z"))).toEqual(at("2026-10-25T02:00:00Z"));
    // Once more a week later, in winter time.
    expect(nextWindowOpening(w, at("2026-10-25T04:00:00Z"))).toEqual(at("2026-11-01T02:00:00Z"));
  });

  it("follows the southern hemisphere's autumn (Auckland)", () => {
    // 2026-04-05 03:00 NZDT goes back to 02:00 NZST at 14:00Z; 04:00 NZST is 16:00Z.
    const w: MaintenanceWindow = { days: ["sun"], start: "04:00", end: "05:00", timeZone: "Pacific/Auckland" };
    expect(nextWindowOpening(w, at("2026-04-04T12:00:00Z"))).toEqual(at("2026-04-04T16:00:00Z")); // from 01:00 NZDT
  });

  it("opens a past-midnight window in the evening of its day (New York, summer time)", () => {
    const w: MaintenanceWindow = { days: ["fri"], start: "23:30", end: "01:00", timeZone: "America/New_York" };
    // Fri 2026-07-03 12:00 EDT (16:00Z) -> 23:30 EDT = Sat 03:30Z
    expect(nextWindowOpening(w, at("2026-07-03T16:00:00Z"))).toEqual(at("2026-07-04T03:30:00Z"));
    expect(isInWindow(w, at("2026-07-04T04:59:00Z"))).toBe(true); // Sat 00:59 EDT
    expect(isInWindow(w, at("2026-07-04T05:00:00Z"))).toBe(false); // Sat 01:00 EDT
  });
});
