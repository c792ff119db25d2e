import type { ReactNode } from "react";
import { formatMs } from "~/components/format";
import { TYPE_LABELS } from "~/components/reports/labels";
import { tableClass, tdClass, thClass } from "~/components/ui";

export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="mb-10 break-inside-avoid-page">
      <h2 id={`${id}-heading`} className="mb-2 text-base font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** The histogram's exact counts, beside the chart. */
export function HistogramTable({
  buckets,
}: {
  buckets: Array<{ rebootType: string; fromMs: number; toMs: number; count: number }>;
}) {
  return (
    <table className={tableClass} aria-label="Distribution of total downtime">
      <thead>
        <tr>
          <th className={thClass}>Total</th>
          <th className={thClass}>Type</th>
          <th className={`${thClass} text-right`}>Reboots</th>
        </tr>
      </thead>
      <tbody>
        {buckets.map((b) => (
          <tr key={`${b.fromMs}:${b.rebootType}`}>
            <td className={`${tdClass} whitespace-nowrap tabular-nums`}>
              {formatMs(b.fromMs, 0)} – {formatMs(b.toMs, 0)}
            </td>
            <td className={tdClass}>{TYPE_LABELS[b.rebootType] ?? b.rebootType}</td>
            <td className={`${tdClass} text-right tabular-nums`}>{b.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
