"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RolloutStatusBadge } from "~/components/rollout-badges";
import { LocalTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { useTRPC } from "~/trpc/client";

const linkClass = "text-sky-700 hover:underline dark:text-sky-400";

/** The latest rollouts, each linking to its downtime report. */
export function RecentRollouts() {
  const trpc = useTRPC();
  const rollouts = useQuery(trpc.rollouts.list.queryOptions({ limit: 20 }));
  if (rollouts.isPending) return <p role="status">Loading rollouts…</p>;
  if (!rollouts.data?.length) return <p className="text-zinc-600 dark:text-zinc-400">No rollout yet.</p>;
  return (
    <table className={`${tableClass} max-w-3xl`} aria-label="Rollout reports">
      <thead>
        <tr>
          <th className={thClass}>Rollout</th>
          <th className={thClass}>Status</th>
          <th className={thClass}>Started</th>
        </tr>
      </thead>
      <tbody>
        {rollouts.data.map((r) => (
          <tr key={r.id}>
            <td className={tdClass}>
              <Link href={`/reports/rollouts/${encodeURIComponent(r.id)}`} className={linkClass}>
                Rollout of {r.groupName}
              </Link>
            </td>
            <td className={tdClass}>
              <RolloutStatusBadge status={r.status} />
            </td>
            <td className={tdClass}>
              <LocalTime date={r.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
