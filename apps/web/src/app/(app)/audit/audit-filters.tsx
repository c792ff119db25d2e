"use client";

import { useQuery } from "@tanstack/react-query";
import { Button, Field, Select, TextInput } from "~/components/ui";
import { useTRPC } from "~/trpc/client";

export interface AuditFilterValues {
  action: string;
  actor: string;
  target: string;
  /** yyyy-mm-dd, local days, inclusive. */
  from: string;
  to: string;
}

export const emptyFilters: AuditFilterValues = { action: "", actor: "", target: "", from: "", to: "" };

/** The filter form; text fields apply as one types (debounced by the caller), Enter applies at once. */
export function AuditFilters({
  values,
  onChange,
  onSubmit,
}: {
  values: AuditFilterValues;
  onChange: (values: AuditFilterValues) => void;
  onSubmit: () => void;
}) {
  const trpc = useTRPC();
  const actions = useQuery(trpc.audit.actions.queryOptions());
  const set = (key: keyof AuditFilterValues) => (event: { target: { value: string } }) =>
    onChange({ ...values, [key]: event.target.value });
  const active = Object.values(values).some(Boolean);

  return (
    <form
      aria-label="Filter the audit log"
      className="mb-4 flex flex-wrap items-end gap-3"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <Field label="Action" htmlFor="audit-action">
        <Select id="audit-action" value={values.action} onChange={set("action")} className="w-48">
          <option value="">All actions</option>
          {values.action && !actions.data?.includes(values.action) && (
            <option value={values.action}>{values.action}</option>
          )}
          {actions.data?.map((action) => (
            <option key={action} value={action}>
              {action}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Actor" htmlFor="audit-actor">
        <TextInput
          id="audit-actor"
          type="search"
          placeholder="name"
          value={values.actor}
          onChange={set("actor")}
          className="w-40"
        />
      </Field>
      <Field label="Target" htmlFor="audit-target">
        <TextInput
          id="audit-target"
          type="search"
          placeholder="name or id"
          value={values.target}
          onChange={set("target")}
          className="w-44"
        />
      </Field>
      <Field label="From" htmlFor="audit-from">
        <TextInput
          id="audit-from"
          type="date"
          value={values.from}
          max={values.to || undefined}
          onChange={set("from")}
          className="w-40"
        />
      </Field>
      <Field label="To" htmlFor="audit-to">
        <TextInput
          id="audit-to"
          type="date"
          value={values.to}
          min={values.from || undefined}
          onChange={set("to")}
          className="w-40"
        />
      </Field>
      <div className="flex gap-2">
        <Button type="submit">Apply filters</Button>
        {active && (
          <Button kind="secondary" onClick={() => onChange(emptyFilters)}>
            Clear filters
          </Button>
        )}
      </div>
    </form>
  );
}
