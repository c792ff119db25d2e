"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
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

export function RolloutActions({ id, status, groupName }: { id: string; status: string; groupName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const act = useMutation(
    trpc.rollouts.act.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.rollouts.pathKey() }),
    }),
  );
  const actions = offered[status] ?? [];
  if (actions.length === 0) return null;
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
      </div>
      {act.error && act.variables?.action !== "abort" && <FormError>{errorMessage(act.error)}</FormError>}
    </div>
  );
}
