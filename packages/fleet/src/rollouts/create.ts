import type { Prisma } from "@softfleet/db";
import {
  type Action,
  applyActions,
  decide,
  initialSnapshot,
  isNodeDown,
  type PlanIssue,
  type PlannedBatch,
  parsePlanForGroup,
  planBatches,
  type RolloutPlan,
} from "@softfleet/rollout";
import { notifyChange, notifyControl } from "../notify";
import { enqueueWebhookEvents, rolloutEvents } from "../webhooks";
import type { FrozenNodesCache } from "./frozen";
import { keepWrittenStatuses, type LiveRows, loadBatchFacts, loadRollout, warmUpLoad } from "./load";
import { persistRollout, warmUpWrite } from "./persist";
import { groupTargets, type TargetNode } from "./targets";

type Tx = Prisma.TransactionClient;

/** A rollout that cannot be created, with every reason, each naming its field. */
export class RolloutPlanError extends Error {
  constructor(readonly issues: PlanIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join("; "));
    this.name = "RolloutPlanError";
  }
}

export interface RolloutPreview {
  groupName: string;
  nodes: TargetNode[];
  plan: RolloutPlan | null;
  batches: (PlannedBatch & { hostnames: string[] })[];
  issues: PlanIssue[];
}

/** The batches a plan gives for a group right now, with the actual nodes, or what is wrong with it. */
export async function previewRollout(tx: Tx, groupId: string, planInput: unknown): Promise<RolloutPreview> {
  const target = await groupTargets(tx, groupId);
  if (!target) {
    return {
      groupName: "",
      nodes: [],
      plan: null,
      batches: [],
      issues: [{ field: "group", message: "the group does not exist" }],
    };
  }
  const parsed = parsePlanForGroup(planInput, target.nodes.length);
  const issues = parsed.ok ? [] : [...parsed.issues];
  if (parsed.ok) issues.push(...(await overlapIssues(tx, target.nodes)));
  const hostname = new Map(target.nodes.map((n) => [n.nodeId, n.hostname]));
  const batches = parsed.ok
    ? planBatches(
        target.nodes.map((n) => n.nodeId),
        parsed.plan,
      ).map((b) => ({ ...b, hostnames: b.nodeIds.map((id) => hostname.get(id) ?? id) }))
    : [];
  return { groupName: target.name, nodes: target.nodes, plan: parsed.ok ? parsed.plan : null, batches, issues };
}

/** Nodes already in a rollout that is not over: two rollouts never reboot the same node. */
export async function overlapIssues(tx: Tx, nodes: TargetNode[]): Promise<PlanIssue[]> {
  const busy = await tx.rolloutNode.findMany({
    where: { active: true, nodeId: { in: nodes.map((n) => n.nodeId) } },
    select: { hostname: true, rollout: { select: { id: true, groupName: true } } },
    take: 5,
  });
  if (busy.length === 0) return [];
  const names = busy.map((b) => b.hostname).join(", ");
  const rollout = busy[0]!.rollout;
  return [
    {
      field: "group",
      message: `${names} ${busy.length === 1 ? "is" : "are"} already in the unfinished rollout of ${rollout.groupName} (${rollout.id}): finish or abort it first`,
    },
  ];
}

export interface CreateRolloutInput {
  groupId: string;
  plan: unknown;
  user: { id: string; name: string };
  now?: Date;
}

/**
 * Freezes the group's nodes into the plan's batches and starts the rollout;
 * the engine takes it from there. Refuses an impossible plan, an unknown or
 * empty group and nodes already in another unfinished rollout.
 */
export async function createRollout(tx: Tx, input: CreateRolloutInput) {
  const preview = await previewRollout(tx, input.groupId, input.plan);
  if (preview.issues.length > 0 || !preview.plan) throw new RolloutPlanError(preview.issues);
  return insertRollout(tx, {
    groupId: input.groupId,
    groupName: preview.groupName,
    plan: preview.plan,
    nodes: preview.nodes,
    user: input.user,
    now: input.now ?? new Date(),
  });
}

export interface NewRollout {
  groupId: string | null;
  groupName: string;
  plan: RolloutPlan;
  /** In batch order; a rollback's nodes carry the image each returns to. */
  nodes: Array<TargetNode & { rollbackVersion?: string }>;
  user: { id: string; name: string };
  now: Date;
  /** A rollback rollout: the rollout it rolls back, and what its start transition says. */
  rollback?: { of: string; reason: string };
}

/** Writes a rollout, its batches and nodes and its start transition, and tells the engine. */
export async function insertRollout(tx: Tx, input: NewRollout) {
  const { plan, now } = input;
  const rollout = await tx.rollout.create({
    data: {
      groupId: input.groupId,
      groupName: input.groupName,
      status: "running",
      plan: plan as unknown as Prisma.InputJsonValue,
      createdById: input.user.id,
      createdByName: input.user.name,
      createdAt: now,
      rollbackOfId: input.rollback?.of ?? null,
    },
  });
  const snapshot = initialSnapshot({ id: rollout.id, plan, nodes: input.nodes });
  await tx.rolloutBatch.createMany({
    data: snapshot.batches.map((b) => ({ rolloutId: rollout.id, index: b.index, kind: b.kind, status: b.status })),
  });
  const target = new Map(input.nodes.map((n) => [n.nodeId, n]));
  try {
    await tx.rolloutNode.createMany({
      data: snapshot.nodes.map((n, position) => ({
        rolloutId: rollout.id,
        nodeId: n.nodeId,
        position,
        batchIndex: n.batchIndex,
        hostname: target.get(n.nodeId)?.hostname ?? n.nodeId,
        status: n.status,
        rollbackVersion: target.get(n.nodeId)?.rollbackVersion ?? null,
      })),
    });
  } catch (error) {
    // Another rollout took some of these nodes since the check above (the partial unique index).
    if ((error as { code?: string }).code === "P2002") {
      throw new RolloutPlanError([{ field: "group", message: "some of its nodes just joined another rollout" }]);
    }
    throw error;
  }
  const started = `started for ${input.nodes.length} nodes in ${snapshot.batches.length} batches`;
  const reason = input.rollback ? `${input.rollback.reason}: ${started}` : started;
  await tx.rolloutTransition.create({
    data: {
      rolloutId: rollout.id,
      at: now,
      machine: "rollout",
      subject: rollout.id,
      subjectName: input.groupName,
      from: "new",
      to: "running",
      reason,
      actorType: "user",
      actorUserId: input.user.id,
      actorName: input.user.name,
    },
  });
  const events = rolloutEvents({ id: rollout.id, group: input.groupName }, [
    { machine: "rollout", from: "new", to: "running", reason, at: now, actorType: "user", actorName: input.user.name },
  ]);
  await enqueueWebhookEvents(tx, events, { now });
  await notifyChange(tx, { entity: "rollout", id: rollout.id, status: "running" });
  await notifyControl(tx, { kind: "rollout", id: rollout.id });
  return { rollout, nodes: input.nodes.length, batches: snapshot.batches.length };
}

/**
 * One engine step of a rollout, in the caller's transaction: lock it, decide
 * from its state and the nodes' facts now, apply and record the actions.
 * Returns when the engine must look again at the latest (null: on events only).
 * An engine passes its `frozen` and `liveRows` caches, kept between its steps (see loadRollout
 * and LiveRowsCache).
 */
export async function stepRollout(
  tx: Tx,
  rolloutId: string,
  now = new Date(),
  { frozen, liveRows }: { frozen?: FrozenNodesCache; liveRows?: LiveRows } = {},
) {
  const t0 = performance.now();
  let loaded = await loadRollout(tx, rolloutId, { forUpdate: true, frozen, liveRows });
  const t1 = performance.now();
  if (!loaded) {
    return {
      actions: 0,
      kinds: [] as string[],
      commanded: [] as string[],
      failedReboots: 0,
      wakeAt: null,
      status: null,
      timings: null,
    };
  }
  let decision = decide(loaded.snapshot, now);
  // A decision that starts a batch whose waiting nodes came without their facts was made blind to
  // them: with their facts loaded, it is made again (a step may start several batches in turn).
  let extraLoadMs = 0;
  for (let through = lastBatchStarted(decision.actions); through > loaded.factsThrough; ) {
    const before = performance.now();
    loaded = await loadBatchFacts(tx, loaded, through, liveRows);
    extraLoadMs += performance.now() - before;
    decision = decide(loaded.snapshot, now);
    through = lastBatchStarted(decision.actions);
  }
  const { snapshot, transitions } = applyActions(loaded.snapshot, decision.actions, now);
  const t2 = performance.now();
  // Most steps (a node's heartbeat while others reboot) change nothing: then nothing is written.
  const written = decision.actions.length > 0 || decision.wakeAt?.getTime() !== loaded.wakeAt?.getTime();
  const { commanded, moved } = written
    ? await persistRollout(tx, loaded, snapshot, transitions, { now, wakeAt: decision.wakeAt })
    : { commanded: [], moved: [] };
  if (written) {
    // The rows of nodes this step moved hold what it changed (status, command, blocked time): read again.
    liveRows?.drop(rolloutId, moved);
    keepWrittenStatuses(frozen, loaded, snapshot);
  }
  const t3 = performance.now();
  return {
    actions: decision.actions.length,
    kinds: [...new Set(decision.actions.map((a) => a.type))],
    commanded,
    /** Nodes it had rebooting (or rolling back) that it failed: refused, not back in time, back wrong. */
    failedReboots: transitions.filter((t) => t.machine === "node" && t.to === "failed" && isNodeDown(t.from)).length,
    wakeAt: decision.wakeAt,
    status: snapshot.rollout.status,
    /** Where a step's time went: loading the snapshot, deciding, writing. */
    timings: { loadMs: t1 - t0 + extraLoadMs, decideMs: t2 - t1 - extraLoadMs, persistMs: t3 - t2 },
  };
}

/** The last batch a decision starts (-1: none). */
function lastBatchStarted(actions: readonly Action[]): number {
  let last = -1;
  for (const action of actions) if (action.type === "start-batch" && action.batchIndex > last) last = action.batchIndex;
  return last;
}

/** A step's queries run once with nothing to read or write, in the caller's transaction (see warmUpLoad). */
export async function warmUpStep(tx: Tx): Promise<void> {
  await warmUpLoad(tx);
  await warmUpWrite(tx);
}
