"use client";

import { blocksShutdown } from "@softfleet/protocol/payloads";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ConfirmButton } from "~/components/confirm-dialog";
import { RelativeTime } from "~/components/time";
import { FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { inhibitorsOf } from "../../nodes/[id]/node-json";

const bad = "font-medium text-red-700 dark:text-red-400";
const muted = "text-zinc-600 dark:text-zinc-400";

interface BlockedNode {
  nodeId: string;
  hostname: string;
  status: string;
  blockedSince: Date | null;
  blockedBy: string | null;
  skipInhibitors: boolean;
  node: { inhibitors: unknown };
}

/** "who (pid N): why" for each block lock the node's agent reports now. */
function liveBlockers(node: BlockedNode): string[] {
  return (inhibitorsOf(node.node.inhibitors) ?? [])
    .filter(blocksShutdown)
    .map((lock) => `${lock.who || "unnamed"} (pid ${lock.pid ?? "?"})${lock.why ? `: ${lock.why}` : ""}`);
}

/**
 * A waiting node's block inhibitors: who holds it, since when, and (for an
 * operator, while the rollout may still reboot it) the confirmed, audited
 * override that reboots it past them.
 */
export function NodeBlockers({
  rolloutId,
  node,
  canOperate,
  timeoutSec,
}: {
  rolloutId: string;
  node: BlockedNode;
  canOperate: boolean;
  timeoutSec: number;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const skip = useMutation(
    trpc.rollouts.skipInhibitors.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.rollouts.pathKey() }),
    }),
  );
  if (node.status !== "pending") return null;
  if (node.skipInhibitors) {
    return <span className={`block text-xs ${muted}`}>Block inhibitors skipped by an operator.</span>;
  }
  const now = liveBlockers(node);
  if (!node.blockedSince && now.length === 0) return null;
  const who = node.blockedSince ? (node.blockedBy ?? now.join("; ")) : now.join("; ");
  return (
    <span className="block space-y-1">
      <span className={`block ${bad}`} role="status">
        {node.blockedSince ? "Held by a block inhibitor" : "A block inhibitor will hold it"}: {who}
      </span>
      {node.blockedSince && (
        <span className={`block text-xs ${muted}`}>
          since <RelativeTime date={node.blockedSince} />; it fails after {timeoutSec} s unless the lock goes
        </span>
      )}
      {canOperate && (
        <ConfirmButton
          label="Skip inhibitors"
          title={`Reboot ${node.hostname} past its block inhibitors?`}
          confirmLabel="Skip inhibitors and reboot"
          disabled={skip.isPending}
          onConfirm={() => skip.mutateAsync({ id: rolloutId, nodeId: node.nodeId })}
        >
          {who} asked logind to block reboots. Skipping it reboots the node anyway, as soon as its turn comes: what the
          lock protects may be interrupted. This is recorded in the audit log with your name.
        </ConfirmButton>
      )}
      {skip.error && <FormError>{errorMessage(skip.error)}</FormError>}
    </span>
  );
}
