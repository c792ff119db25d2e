"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { ConfirmButton } from "~/components/confirm-dialog";
import { useTRPC } from "~/trpc/client";
import type { NodeData } from "./node-detail";

/** Admins: end the node's credential, or forget the node altogether. */
export function NodeAdminActions({ node, onDeleted }: { node: NodeData; onDeleted: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.nodes.revoke.mutationOptions());
  const remove = useMutation(trpc.nodes.delete.mutationOptions());
  const allow = useMutation(trpc.nodes.allowReenrollment.mutationOptions());
  const invalidateNodes = () => queryClient.invalidateQueries({ queryKey: trpc.nodes.pathKey() });

  return (
    <>
      {!node.revokedAt && (
        <ConfirmButton
          label="Revoke"
          title={`Revoke ${node.hostname}?`}
          onConfirm={async () => {
            await revoke.mutateAsync({ nodeId: node.id });
            await invalidateNodes();
          }}
        >
          Its credential stops working and its agent is disconnected at once. The node and its history stay here; to let
          the machine enroll again, delete the node afterwards.
        </ConfirmButton>
      )}
      {!node.revokedAt && (
        <ConfirmButton
          label="Allow re-enrollment"
          title={`Allow ${node.hostname} to enroll again?`}
          onConfirm={async () => {
            await allow.mutateAsync({ nodeId: node.id, minutes: 60 });
            await invalidateNodes();
          }}
        >
          For an agent that lost its credential (a reinstalled host). For the next hour, the next enrollment of this
          machine with a valid enrollment token replaces the node's credential, once; the agent running now is then
          locked out. Without this, an enrollment token never re-keys an enrolled machine.
        </ConfirmButton>
      )}
      <ConfirmButton
        label="Delete"
        title={`Delete ${node.hostname}?`}
        onConfirm={async () => {
          await remove.mutateAsync({ nodeId: node.id });
          onDeleted();
          // The fleet's pages must not show the node for a moment from their cache.
          queryClient.removeQueries({ queryKey: trpc.nodes.page.pathKey() });
          router.push("/fleet");
        }}
      >
        The node, its reboot records, events and commands are removed, and its agent is disconnected. Its machine can
        enroll again with a new enrollment token. This cannot be undone.
      </ConfirmButton>
    </>
  );
}
