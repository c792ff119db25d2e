import { Field, TextInput } from "~/components/ui";

/** A search box for part of a hostname (the lists paged on the server look it up as the user types). */
export function HostnameSearch({
  id,
  label,
  value,
  onChange,
  className = "w-48",
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  className?: string;
}) {
  return (
    <Field label={label} htmlFor={id}>
      <TextInput
        id={id}
        type="search"
        placeholder="part of a hostname"
        maxLength={128}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className={className}
      />
    </Field>
  );
}
