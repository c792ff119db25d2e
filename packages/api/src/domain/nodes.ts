import type { Db, RebootRecord, Role } from "@softfleet/db";
import { type PhaseDurations, phaseDurations } from "@softfleet/fleet";
import {
  type ClientGap,
  type ContainerContinuity,
  clientGap,
  containerContinuity,
  type LinkContinuity,
  linkContinuity,
  type PinnedRoot,
  pinnedRoot,
  type UnitBlame,
  unitBlame,
} from "@softfleet/protocol";
import { z } from "zod";
import type { Tx } from "../audit";
import { hasRole } from "../auth/roles";
import { notFound } from "../errors";

// Never sent to browsers.
const hiddenNodeColumns = { credentialHash: true } as const;

/** A node as its page shows it (with its groups), or null when it does not exist (any more). */
export async function readNodeView(db: Tx | Db, nodeId: string, role: Role) {
  const node = await db.node.findUnique({
    where: { id: nodeId },
    omit: hiddenNodeColumns,
    include: { memberships: { include: { group: { select: { id: true, name: true } } } } },
  });
  return node ? visibleToRole(node, role) : null;
}

export async function findNodeOrThrow(tx: Tx, nodeId: string) {
  const node = await tx.node.findUnique({ where: { id: nodeId } });
  if (!node) throw notFound(`Node ${nodeId}`);
  return node;
}

/**
 * A node as a role may see it: machine ids (which, with any token, once
 * sufficed to take a node over) only for operators and admins.
 */
function visibleToRole<T extends { machineId: string }>(
  node: T,
  role: Role,
): Omit<T, "machineId"> & { machineId: string | null } {
  return { ...node, machineId: hasRole(role, "operator") ? node.machineId : null };
}

const usec = (value: bigint | null) => (value === null ? null : value.toString());

/** A reboot record as the UI shows it: exact µs as strings, phases in ms. */
export function presentRecord(record: RebootRecord): Omit<
  RebootRecord,
  | "signalUsec"
  | "shutdownStartUsec"
  | "userspaceUsec"
  | "finishUsec"
  | "agentConnectedUsec"
  | "blame"
  | "pinnedRoot"
  | "clientGaps"
  | "containers"
  | "network"
> & {
  /** Why it was slow; null when unknown (an older agent, or a stored value that is not one). */
  blame: UnitBlame | null;
  /** What still held the old root after it; null when there was none to look for (or a stored value that is not one). */
  pinnedRoot: PinnedRoot | null;
  /** What each probed payload's clients saw; null when no prober reported (or a stored value that is not one). */
  clientGaps: ClientGap[] | null;
  /** Each Podman container before and after; null when the node has no Podman API (or a stored value that is not one). */
  containers: ContainerContinuity[] | null;
  /** Each networkd link before and after; null when the node has no networkd (or a stored value that is not one). */
  network: LinkContinuity[] | null;
  timestamps: Record<
    "signalUsec" | "shutdownStartUsec" | "userspaceUsec" | "finishUsec" | "agentConnectedUsec",
    string | null
  >;
  phases: PhaseDurations;
} {
  const { signalUsec, shutdownStartUsec, userspaceUsec, finishUsec, agentConnectedUsec, ...rest } = record;
  const blame = unitBlame.safeParse(rest.blame);
  const pinned = pinnedRoot.safeParse(rest.pinnedRoot);
  const gaps = z.array(clientGap).max(32).safeParse(rest.clientGaps);
  const containers = z.array(containerContinuity).max(200).safeParse(rest.containers);
  const network = z.array(linkContinuity).max(32).safeParse(rest.network);
  return {
    ...rest,
    blame: blame.success ? blame.data : null,
    pinnedRoot: pinned.success ? pinned.data : null,
    clientGaps: gaps.success ? gaps.data : null,
    containers: containers.success ? containers.data : null,
    network: network.success ? network.data : null,
    timestamps: {
      signalUsec: usec(signalUsec),
      shutdownStartUsec: usec(shutdownStartUsec),
      userspaceUsec: usec(userspaceUsec),
      finishUsec: usec(finishUsec),
      agentConnectedUsec: usec(agentConnectedUsec),
    },
    phases: phaseDurations(
      { signalUsec, shutdownStartUsec, userspaceUsec, finishUsec, agentConnectedUsec },
      record.kind,
    ),
  };
}
