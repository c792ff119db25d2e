"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { Button } from "~/components/ui";
import { useTRPC } from "~/trpc/client";
import type { NodeData } from "./node-detail";

/** What became of the command this page sent, from the (live) commands list. */
function Progress({ nodeId, commandId }: { nodeId: string; commandId: string }) {
  const trpc = useTRPC();
  const commands = useQuery(trpc.nodes.commands.queryOptions({ nodeId }));
  const command = commands.data?.find((c) => c.id === commandId);
  let text = "Soft-reboot requested; waiting for the agent…";
  let tone = "text-zinc-700 dark:text-zinc-300";
  if (command?.status === "accepted") {
    text = "The agent accepted: the node is soft-rebooting. Its reboot record appears below once it is back.";
    tone = "text-green-800 dark:text-green-300";
  } else if (command?.status === "refused") {
    text = `The agent refused${command.reason ? `: ${command.reason}` : "."}`;
    tone = "text-red-700 dark:text-red-400";
  } else if (command?.status === "expired") {
    text = `The request expired${command.reason ? `: ${command.reason}` : "."}`;
    tone = "text-red-700 dark:text-red-400";
  }
  return (
    <p role="status" className={`max-w-sm text-xs ${tone}`}>
      {text}
    </p>
  );
}

/** Operators and admins: asks the node's agent to soft-reboot, after a confirmation. */
export function SoftRebootButton({ node }: { node: NodeData }) {
  const trpc = useTRPC();
  const checkboxId = useId();
  const hintId = useId();
  const [open, setOpen] = useState(false);
  const [requireNextroot, setRequireNextroot] = useState(node.nextrootStaged);
  const [commandId, setCommandId] = useState<string | null>(null);
  const softReboot = useMutation(trpc.nodes.softReboot.mutationOptions());
  const staged = node.nextrootStaged;

  return (
    <div className="flex flex-col items-end gap-1">
      <Button
        onClick={() => {
          setRequireNextroot(staged);
          setOpen(true);
        }}
      >
        Soft-reboot
      </Button>
      {commandId && !open && <Progress nodeId={node.id} commandId={commandId} />}
      {open && (
        <ConfirmDialog
          title={`Soft-reboot ${node.hostname}?`}
          confirmLabel="Soft-reboot now"
          onClose={() => setOpen(false)}
          onConfirm={async () => {
            const command = await softReboot.mutateAsync({
              nodeId: node.id,
              requireNextroot: requireNextroot && staged,
            });
            setCommandId(command.id);
          }}
        >
          <p className="mb-3">
            The agent asks logind to soft-reboot: userspace restarts on the running kernel
            {staged
              ? `, into the image staged at /run/nextroot${node.nextrootImageVersion ? ` (IMAGE_VERSION ${node.nextrootImageVersion})` : ""}`
              : ""}
            . Services that do not survive a soft-reboot are stopped and started again.
          </p>
          <div className="flex items-start gap-2">
            <input
              id={checkboxId}
              type="checkbox"
              className="mt-0.5"
              checked={requireNextroot && staged}
              disabled={!staged}
              aria-describedby={hintId}
              onChange={(event) => setRequireNextroot(event.target.checked)}
            />
            <div>
              <label
                htmlFor={checkboxId}
                className={staged ? "font-medium" : "font-medium text-zinc-500 dark:text-zinc-400"}
              >
                Only if a new image is staged
              </label>
              <p id={hintId} className="text-xs text-zinc-600 dark:text-zinc-400">
                {staged
                  ? "If /run/nextroot is gone by the time the agent acts, it refuses rather than reboot into the same image."
                  : "Not available: this node reports no new image at /run/nextroot, so it would soft-reboot into its current image."}
              </p>
            </div>
          </div>
        </ConfirmDialog>
      )}
    </div>
  );
}
