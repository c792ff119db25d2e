import { join } from "node:path";
import type { Db } from "@softfleet/db";
import { createEnrollmentToken } from "@softfleet/fleet";
import { type SimulatedFleet, startSimulatedFleet } from "@softfleet/simagent";

export const DEMO_GROUP = "demo (simulated)";

/**
 * The demo's simulated nodes: the real agent protocol against fake hosts,
 * marked simulated everywhere. Their credentials are kept under the data
 * folder, so a restart brings back the same nodes. Version 2 is staged on
 * each, and the nodes are gathered in a group, so a rollout can be tried at once.
 */
export async function startDemoFleet(options: {
  db: Db;
  controlUrl: string;
  dataDir: string;
  count: number;
  onProgress?: (line: string) => void;
}): Promise<SimulatedFleet> {
  const { db } = options;
  const { token } = await db.$transaction(async (tx) => {
    const created = await createEnrollmentToken(tx, {
      label: "simulated demo nodes",
      ttlHours: 1,
      maxUses: options.count,
      createdById: null,
    });
    await tx.auditEntry.create({
      data: {
        actorType: "system",
        actorName: "demo",
        action: "enrollment.token_created",
        targetType: "enrollment-token",
        targetId: created.row.id,
        targetName: created.row.label,
        details: { maxUses: options.count, ttlHours: 1 },
      },
    });
    return created;
  });
  const fleet = await startSimulatedFleet({
    controlUrl: options.controlUrl,
    enrollmentToken: token,
    count: options.count,
    seed: "softfleet demo",
    namePrefix: "sim",
    spoolRoot: join(options.dataDir, "simulated-nodes"),
    agentLogLevel: "error",
    // A few nodes keep a survivor on the old root, as a real fleet would: the pinned-root warning has something to show.
    faultRate: { pinsOldRoot: 0.05 },
    onProgress: (p) => options.onProgress?.(`${p.enrolled}/${p.count} enrolled, ${p.connected}/${p.count} connected`),
  });
  fleet.stage("2");
  const nodes = await db.node.findMany({
    where: { machineId: { in: fleet.nodes.map((n) => n.machineId) } },
    select: { id: true },
  });
  const group = await db.nodeGroup.upsert({
    where: { name: DEMO_GROUP },
    create: { name: DEMO_GROUP, description: "Simulated nodes started by npm start (not real hosts)" },
    update: {},
  });
  await db.nodeGroupMember.createMany({
    data: nodes.map((n) => ({ groupId: group.id, nodeId: n.id })),
    skipDuplicates: true,
  });
  return fleet;
}
