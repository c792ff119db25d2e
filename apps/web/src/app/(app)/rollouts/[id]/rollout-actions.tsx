"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { ConfirmButton } from "~/components/confirm-dialog";
import { Button, FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

type Action = "pause" | "resume" | "approve" | "abort";

/** Which buttons a rollout in each status offers (the rollout machine's user transitions). */
const offered: Record<string, Action[]> = {
  running: ["pause", "abort"],
  paused: ["resume", "abort"],
  "awaiting-approval": ["approve", "pause", "abort"],
  halted: ["resume", "abort"],
};

const labels: Record<Exclude<Action, "abort">, string> = { pause: "Pause", resume: "Resume", approve: "Approve" };

export function RolloutActions({
  id,
  status,
  groupName,
  rollback,
}: {
  id: string;
  status: string;
  groupName: string;
  /** Whether it may be rolled back now, how many nodes would return, and the images they return to (the API decides). */
  rollback: { possible: boolean; count: number; versions: string[] };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.rollouts.pathKey() });
  const act = useMutation(trpc.rollouts.act.mutationOptions({ onSettled: invalidate }));
  const rollBack = useMutation(
    trpc.rollouts.rollBack.mutationOptions({
      // On success the page goes to the new rollback: refetching this one's queries first would only delay it.
      onError: invalidate,
      onSuccess: (created) => router.push(`/rollouts/${encodeURIComponent(created.id)}`),
    }),
  );
  const actions = offered[status] ?? [];
  const mayRollBack = rollback.possible;
  const updated = rollback.count;
  if (actions.length === 0 && !mayRollBack) return null;
  const versions = rollback.versions.join(", ");
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap justify-end gap-2">
        {actions.map((action) =>
          action === "abort" ? (
            <ConfirmButton
              key={action}
              label="Abort"
              title={`Abort the rollout of ${groupName}?`}
              confirmLabel="Abort rollout"
              disabled={act.isPending}
              onConfirm={() => act.mutateAsync({ id, action })}
            >
              Nodes not yet rebooted are cancelled; nodes rebooting now finish their reboot. An aborted rollout cannot
              be resumed.
            </ConfirmButton>
          ) : (
            <Button
              key={action}
              kind={action === "pause" ? "secondary" : "primary"}
              disabled={act.isPending}
              onClick={() => act.mutate({ id, action })}
            >
              {labels[action]}
            </Button>
          ),
        )}
        {mayRollBack && (
          <ConfirmButton
            label="Roll back rollout"
            title={`Roll back the rollout of ${groupName}?`}
            confirmLabel={`Roll back ${updated.toLocaleString("en")} ${updated === 1 ? "node" : "nodes"}`}
            disabled={rollBack.isPending}
            onConfirm={() => rollBack.mutateAsync({ id })}
          >
            {updated === 1 ? "1 node" : `${updated.toLocaleString("en")} nodes`} this rollout updated go back to the
            image each ran before (IMAGE_VERSION {versions}), in the plan's batches, as a rollout of its own: each
            node's agent stages the image it kept and soft-reboots into it.
            {status === "halted" && " This halted rollout is aborted first: its waiting nodes are cancelled."} A node
            that no longer keeps its previous image fails with its agent's reason.
          </ConfirmButton>
        )}
      </div>
      {act.error && act.variables?.action !== "abort" && <FormError>{errorMessage(act.error)}</FormError>}
    </div>
  );
}
