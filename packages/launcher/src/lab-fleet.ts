import { mkdir } from "node:fs/promises";
import { createPrismaClient } from "@softfleet/db";
import { createEnrollmentToken } from "@softfleet/fleet";
import type { LabNode } from "@softfleet/lab";
import type { ControlTls } from "./processes";

export interface LabFleet {
  nodes: LabNode[];
  stop(): Promise<void>;
}

/**
 * What control needs so that the lab's nodes reach it: TLS with the lab's CA,
 * the lab network's gateway, and the lab's OS images to serve them. Its fields
 * are StackOptions' own, so `startStack({ ...labControl(), … })` takes them all.
 */
export interface LabControl {
  controlTls: ControlTls;
  controlExtraHosts: string[];
  /** Control's environment: SOFTFLEET_IMAGES_DIR, the tar files `lab image` writes, for agents to download. */
  env: { SOFTFLEET_IMAGES_DIR: string };
}

/**
 * Makes the lab network (its bridge and gateway address) and the lab's PKI,
 * and says how control must listen for the lab's nodes: on the gateway too,
 * over TLS (off loopback, agents never talk plain HTTP), serving the lab's
 * images at /images/softfleet-lab-<V>.tar.
 */
export async function labControl(): Promise<LabControl> {
  const lab = await import("@softfleet/lab");
  const network = await lab.ensureLabNetwork();
  const tls = await lab.labPki();
  const imagesDir = lab.labImagesDir();
  await mkdir(imagesDir, { recursive: true });
  return { controlTls: tls, controlExtraHosts: [network.gateway], env: { SOFTFLEET_IMAGES_DIR: imagesDir } };
}

/**
 * Real systemd nodes for the running product: an enrollment token made for
 * them (audited as the system), the lab image built (cached), and N nodes
 * booted whose agents enroll against `controlUrl`.
 */
export async function startLabFleet(options: {
  databaseUrl: string;
  /** Control as this machine reaches it (loopback); it must listen on the lab's gateway too (labControl()). */
  controlUrl: string;
  nodes: number;
  firstIndex?: number;
  label?: string;
  /** The CA of control's https certificate, installed in each node for its agent to trust. */
  caFile?: string;
}): Promise<LabFleet> {
  const lab = await import("@softfleet/lab");
  const prerequisites = lab.labPrerequisites();
  if (!prerequisites.ok) throw new Error(prerequisites.message);
  const db = createPrismaClient(options.databaseUrl);
  let token: string;
  try {
    token = await db.$transaction(async (tx) => {
      const created = await createEnrollmentToken(tx, {
        label: options.label ?? "lab nodes",
        ttlHours: 1,
        maxUses: options.nodes,
        createdById: null,
      });
      await tx.auditEntry.create({
        data: {
          actorType: "system",
          actorName: "lab",
          action: "enrollment.token_created",
          targetType: "enrollment-token",
          targetId: created.row.id,
          targetName: created.row.label,
          details: { maxUses: options.nodes, ttlHours: 1 },
        },
      });
      return created.token;
    });
  } finally {
    await db.$disconnect();
  }
  await lab.buildImage();
  const nodes = await lab.up({
    nodes: options.nodes,
    firstIndex: options.firstIndex,
    controlUrl: lab.nodeControlUrl(options.controlUrl),
    token,
    caFile: options.caFile,
  });
  const names = nodes.map((node) => node.name);
  return { nodes, stop: async () => void (await lab.down({ nodes: names })) };
}

/** Why the lab cannot run here, or null when it can. */
export async function labUnavailable(): Promise<string | null> {
  const lab = await import("@softfleet/lab");
  const prerequisites = lab.labPrerequisites();
  return prerequisites.ok ? null : prerequisites.message;
}
