/** A node's `labels` (or a group's selector): string keys and values, whatever else the JSON holds dropped. */
export function labelEntries(value: unknown): [string, string][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).map(([key, v]) => [key, typeof v === "string" ? v : JSON.stringify(v)]);
}

const chip = "rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200";

/** key=value chips; nothing when there are none. */
export function LabelList({ labels, label }: { labels: [string, string][]; label: string }) {
  if (labels.length === 0) return null;
  return (
    <ul aria-label={label} className="flex flex-wrap gap-1">
      {labels.map(([key, value]) => (
        <li key={key} className={chip}>
          {key}={value}
        </li>
      ))}
    </ul>
  );
}
