import { randomBytes } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import { createPrismaClient } from "@softfleet/db";

/** What this worker inserted, so that it can leave the fleet as it found it (other specs expect it empty). */
const inserted = { nodeIds: [] as string[], groupIds: [] as string[] };

/**
 * Nodes without a real host behind them, written straight into the stack's
 * database: offline, so a rollout's engine fails them at their precondition
 * ("node is offline") without rebooting anything.
 */
export async function insertOfflineGroup(
  groupName: string,
  nodes: { hostname: string; simulated?: boolean; labels?: Record<string, string> }[],
) {
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    const created = [];
    for (const node of nodes) {
      created.push(
        await db.node.create({
          data: {
            machineId: randomBytes(16).toString("hex"),
            hostname: node.hostname,
            status: "offline",
            simulated: node.simulated ?? false,
            labels: node.labels ?? {},
            imageVersion: "e2e-1",
            inhibitor: "held",
          },
        }),
      );
    }
    const group = await db.nodeGroup.create({
      data: { name: groupName, members: { create: created.map((node) => ({ nodeId: node.id })) } },
    });
    inserted.nodeIds.push(...created.map((node) => node.id));
    inserted.groupIds.push(group.id);
    return { groupId: group.id, nodeIds: created.map((node) => node.id) };
  } finally {
    await db.$disconnect();
  }
}

/** Deletes the inserted nodes and groups, and the rollouts of either. */
export async function removeInsertedFixtures() {
  const { nodeIds, groupIds } = inserted;
  if (nodeIds.length === 0 && groupIds.length === 0) return;
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    await db.rollout.deleteMany({
      where: { OR: [{ groupId: { in: groupIds } }, { nodes: { some: { nodeId: { in: nodeIds } } } }] },
    });
    await db.nodeGroup.deleteMany({ where: { id: { in: groupIds } } });
    await db.node.deleteMany({ where: { id: { in: nodeIds } } });
    inserted.nodeIds = [];
    inserted.groupIds = [];
  } finally {
    await db.$disconnect();
  }
}

/** Starts a rollout through the API as the logged-in user of `page` (tRPC over HTTP, superjson). */
export async function startRolloutByApi(page: Page, groupId: string, plan: Record<string, unknown>): Promise<string> {
  const response = await page.request.post("/api/trpc/rollouts.create", { data: { json: { groupId, plan } } });
  expect(response.ok(), await response.text()).toBe(true);
  const body = (await response.json()) as { result: { data: { json: { id: string } } } };
  return body.result.data.json.id;
}

/** A unique suffix, so names made by one test run never meet those of another in the same database. */
export function uniqueSuffix(): string {
  return randomBytes(3).toString("hex");
}
