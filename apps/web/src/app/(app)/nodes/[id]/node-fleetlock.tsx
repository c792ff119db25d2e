"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LocalTime } from "~/components/time";
import { FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

const muted = "text-zinc-600 dark:text-zinc-400";

/** Whether a FleetLock client (Zincati) on this node holds a reboot slot now, and its last slots. */
export function NodeFleetLock({ nodeId }: { nodeId: string }) {
  const trpc = useTRPC();
  const holds = useQuery({ ...trpc.fleetLock.node.queryOptions({ nodeId }), refetchInterval: 5_000 });
  if (holds.isPending) return <p role="status">Loading FleetLock…</p>;
  if (holds.error) return <FormError>{errorMessage(holds.error)}</FormError>;
  if (holds.data.length === 0)
    return <p className={muted}>No FleetLock client on this node has taken a reboot slot.</p>;
  const current = holds.data.find((hold) => hold.releasedAt === null);
  const groupLink = (hold: { groupId: string; groupName: string }) => (
    <Link href={`/groups/${hold.groupId}`} className="text-sky-700 hover:underline dark:text-sky-400">
      {hold.groupName}
    </Link>
  );
  return (
    <div className="space-y-2">
      {current ? (
        <p role="status" className="font-medium text-amber-700 dark:text-amber-400">
          Holds a FleetLock slot of group {groupLink(current)} since <LocalTime date={current.lockedAt} /> (client{" "}
          <code className="font-mono text-xs">{current.clientId}</code>): its reboots now are the FleetLock
          client&apos;s, reported as external.
        </p>
      ) : (
        <p className={muted}>Holds no FleetLock slot now.</p>
      )}
      <ul className="space-y-1 text-sm">
        {holds.data
          .filter((hold) => hold.releasedAt !== null)
          .map((hold) => (
            <li key={hold.id} className={muted}>
              Group {groupLink(hold)}: locked <LocalTime date={hold.lockedAt} />, released{" "}
              {hold.releasedAt && <LocalTime date={hold.releasedAt} />}
            </li>
          ))}
      </ul>
    </div>
  );
}
