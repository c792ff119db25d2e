"use client";

import { useEffect, useState } from "react";
import { TextInput } from "~/components/ui";
import { Checkbox, FieldIssues, PlanField, Section, usePlanInput } from "./plan-field";
import type { PlanFieldsProps } from "./plan-fields";
import { type Weekday, weekdays } from "./plan-form";

/** Every IANA zone the browser knows, for the time zone's suggestions (after mount: the server's list may differ). */
function useTimeZones(): string[] {
  const [zones, setZones] = useState<string[]>([]);
  useEffect(() => setZones(Intl.supportedValuesOf?.("timeZone") ?? []), []);
  return zones;
}

export function WindowFields({ form, set }: PlanFieldsProps) {
  const zones = useTimeZones();
  const days = usePlanInput("plan-window-days", ["window.days"]);
  const zoneInput = usePlanInput("plan-window-zone", ["window.timeZone"]);
  const startInput = usePlanInput("plan-window-start", ["window.start"]);
  const endInput = usePlanInput("plan-window-end", ["window.end"]);
  const toggleDay = (day: Weekday, on: boolean) =>
    set({ windowDays: weekdays.map(([d]) => d).filter((d) => (d === day ? on : form.windowDays.includes(d))) });
  return (
    <Section title="Maintenance window">
      <Checkbox
        id="plan-window-on"
        label="Only start reboots inside a maintenance window"
        checked={form.windowOn}
        onChange={(windowOn) => set({ windowOn })}
        fields={["window"]}
      />
      {form.windowOn && (
        <>
          <fieldset aria-describedby={days["aria-describedby"]}>
            <legend className="mb-1 text-xs font-medium text-zinc-700 dark:text-zinc-300">Days</legend>
            <div className="flex flex-wrap gap-x-3 gap-y-1">
              {weekdays.map(([day, name]) => (
                <label key={day} className="flex items-center gap-1.5">
                  <input
                    type="checkbox"
                    checked={form.windowDays.includes(day)}
                    onChange={(e) => toggleDay(day, e.target.checked)}
                  />
                  <abbr title={name} className="no-underline">
                    {name.slice(0, 3)}
                  </abbr>
                </label>
              ))}
            </div>
            <FieldIssues id="plan-window-days" fields={["window.days"]} />
          </fieldset>
          <div className="flex flex-wrap gap-4">
            <PlanField id="plan-window-start" label="Opens at" fields={["window.start"]}>
              <TextInput
                {...startInput}
                type="time"
                className="max-w-36"
                value={form.windowStart}
                onChange={(e) => set({ windowStart: e.target.value })}
              />
            </PlanField>
            <PlanField id="plan-window-end" label="Closes at" fields={["window.end"]}>
              <TextInput
                {...endInput}
                type="time"
                className="max-w-36"
                value={form.windowEnd}
                onChange={(e) => set({ windowEnd: e.target.value })}
              />
            </PlanField>
          </div>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            A window that closes before it opens runs past midnight; the same time for both is the whole day.
          </p>
          <PlanField
            id="plan-window-zone"
            label="Time zone"
            fields={["window.timeZone"]}
            hint="The wall clock the window is read on (IANA name, such as Europe/Berlin)."
          >
            <TextInput
              {...zoneInput}
              list="plan-window-zones"
              className="max-w-xs"
              value={form.windowTimeZone}
              onChange={(e) => set({ windowTimeZone: e.target.value })}
            />
            <datalist id="plan-window-zones">
              {zones.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          </PlanField>
        </>
      )}
    </Section>
  );
}
