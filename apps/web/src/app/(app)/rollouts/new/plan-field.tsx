"use client";

import { createContext, type ReactNode, useContext } from "react";
import type { FieldMessages } from "./plan-form";

/** What is wrong with the plan, by field, for every input to show beside itself. */
export const PlanMessages = createContext<FieldMessages>({});

function messagesFor(all: FieldMessages, fields: string[]): string[] {
  return fields.flatMap((field) => all[field] ?? []);
}

/** An input's id and its link to the messages about `fields`, for aria-describedby. */
export function usePlanInput(id: string, fields: string[]) {
  const messages = messagesFor(useContext(PlanMessages), fields);
  return {
    id,
    "aria-invalid": messages.length > 0 ? true : undefined,
    "aria-describedby": messages.length > 0 ? `${id}-issues` : undefined,
  } as const;
}

/** The messages about `fields`, under the input whose `id` they describe. */
export function FieldIssues({ id, fields }: { id: string; fields: string[] }) {
  const messages = messagesFor(useContext(PlanMessages), fields);
  if (messages.length === 0) return null;
  return (
    <ul id={`${id}-issues`} className="space-y-0.5 text-xs text-red-700 dark:text-red-400">
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

/** A labelled input with its hint and what is wrong with it. */
export function PlanField({
  id,
  label,
  fields,
  hint,
  children,
}: {
  id: string;
  label: string;
  fields: string[];
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      {children}
      {hint && <p className="text-xs text-zinc-600 dark:text-zinc-400">{hint}</p>}
      <FieldIssues id={id} fields={fields} />
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <legend className="px-1 text-sm font-semibold">{title}</legend>
      {children}
    </fieldset>
  );
}

export function Checkbox({
  id,
  label,
  checked,
  onChange,
  fields = [],
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  fields?: string[];
}) {
  const input = usePlanInput(id, fields);
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="flex items-center gap-2">
        <input type="checkbox" {...input} checked={checked} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      <FieldIssues id={id} fields={fields} />
    </div>
  );
}

/** Two or more choices as radio buttons in a fieldset. */
export function Choice<T extends string>({
  name,
  legend,
  value,
  options,
  onChange,
}: {
  name: string;
  legend: string;
  value: T;
  options: readonly (readonly [T, string])[];
  onChange: (value: T) => void;
}) {
  return (
    <fieldset>
      <legend className="mb-1 text-xs font-medium text-zinc-700 dark:text-zinc-300">{legend}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {options.map(([option, label]) => (
          <label key={option} className="flex items-center gap-1.5">
            <input
              type="radio"
              name={name}
              value={option}
              checked={value === option}
              onChange={() => onChange(option)}
            />
            {label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
