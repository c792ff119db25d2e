"use client";

import { useTRPC } from "~/trpc/client";
import { type LiveChange, useInvalidateSoon, useLiveChanges } from "~/trpc/live";

/** Keeps one node's queries current from the live change stream; returns the stream's status. */
export function useNodeLive(nodeId: string) {
  const trpc = useTRPC();
  const invalidateSoon = useInvalidateSoon();
  const refreshNode = () => invalidateSoon(trpc.nodes.get.queryKey({ id: nodeId }));
  const refreshEvents = () => {
    invalidateSoon(trpc.nodes.events.queryKey({ nodeId }));
    // A reboot record arrives as an event; the node's identity and units change with it.
    invalidateSoon(trpc.nodes.rebootRecords.queryKey({ nodeId }));
    invalidateSoon(trpc.nodes.cycles.queryKey({ nodeId }));
    refreshNode();
  };
  const refreshCommands = () => invalidateSoon(trpc.nodes.commands.queryKey({ nodeId }));
  const resync = () => {
    refreshEvents();
    refreshCommands();
  };
  return useLiveChanges((change: LiveChange) => {
    if (change.entity === "node" && change.id === nodeId) refreshNode();
    if (change.entity === "node-event" && change.nodeId === nodeId) refreshEvents();
    if (change.entity === "command" && change.nodeId === nodeId) refreshCommands();
  }, resync);
}
