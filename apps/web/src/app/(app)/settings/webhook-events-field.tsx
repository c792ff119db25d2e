"use client";

import type { WebhookList } from "./use-webhooks";

export type EventType = WebhookList["eventTypes"][number]["type"];

export function FieldErrors({ id, messages }: { id: string; messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <p id={id} className="text-xs text-red-700 dark:text-red-400">
      {messages.join("; ")}
    </p>
  );
}

/** The events an endpoint gets, as checkboxes (adding an endpoint, or changing one's). */
export function WebhookEventsField({
  id,
  eventTypes,
  value,
  onChange,
  errors,
}: {
  id: string;
  eventTypes: WebhookList["eventTypes"];
  value: EventType[];
  onChange: (events: EventType[]) => void;
  errors: string[] | undefined;
}) {
  const toggle = (type: EventType, on: boolean) =>
    onChange(on ? [...value, type] : value.filter((event) => event !== type));
  return (
    <fieldset className="sm:col-span-3" aria-describedby={`${id}-errors`}>
      <legend className="mb-1 text-xs font-medium text-zinc-700 dark:text-zinc-300">Events</legend>
      <div className="grid gap-x-4 gap-y-1 sm:grid-cols-2">
        {eventTypes.map(({ type, label }) => (
          <label key={type} className="flex items-start gap-1.5">
            <input
              type="checkbox"
              className="mt-1"
              checked={value.includes(type)}
              onChange={(e) => toggle(type, e.target.checked)}
            />
            <span>
              <span className="font-mono text-xs">{type}</span>: {label}
            </span>
          </label>
        ))}
      </div>
      <FieldErrors id={`${id}-errors`} messages={errors} />
    </fieldset>
  );
}
