import { randomBytes } from "node:crypto";
import { createPrismaClient } from "@softfleet/db";

/**
 * Reboot records with known timestamps, written straight into the stack's
 * database, and the figures a report should show for them, computed here by
 * hand (not by the report's code).
 */

/** A reboot's CLOCK_MONOTONIC points in µs, as the agent reports them (null: not reported). */
export interface Points {
  signal: number | null;
  shutdownStart: number | null;
  userspace: number | null;
  finish: number | null;
  agent: number;
}

export interface RebootSpec {
  /** A key of the `nodes` given to insertReboots. */
  node: string;
  kind: "soft-reboot" | "full-reboot";
  requested: "soft-reboot" | "reboot" | "kexec";
  escalated?: boolean;
  beforeLost?: boolean;
  trigger: "rollout" | "manual" | "external";
  commandId?: string;
  at: Date;
  imageBefore: string;
  imageAfter: string;
  points: Points;
}

export type ReportType = "soft-reboot" | "full-reboot" | "kexec";

/** The reboot type a report files a record under: a full reboot logind announced as kexec is a kexec. */
export const typeOf = (spec: RebootSpec): ReportType =>
  spec.kind === "soft-reboot" ? "soft-reboot" : spec.requested === "kexec" ? "kexec" : "full-reboot";

/** ms from one point to a later one; null when either is unknown. */
const span = (from: number | null, to: number | null) => (from === null || to === null ? null : (to - from) / 1000);

/**
 * The phases by their definition: a soft-reboot's total runs from the signal
 * (or ShutdownStart when the signal is unknown) to the agent's reconnection; a
 * full reboot's clock restarted, so its total only covers the new boot
 * (Userspace → agent) and it has no shutdown phases.
 */
export function phasesOf(spec: RebootSpec) {
  const p = spec.points;
  const soft = spec.kind === "soft-reboot";
  return {
    signalToShutdownMs: soft ? span(p.signal, p.shutdownStart) : null,
    shutdownMs: soft ? span(p.shutdownStart, p.userspace) : null,
    bootMs: span(p.userspace, p.finish),
    reconnectMs: span(p.finish, p.agent),
    totalMs: soft ? span(p.signal ?? p.shutdownStart, p.agent) : span(p.userspace, p.agent),
  };
}

/** Postgres's percentile_cont: linear interpolation between the two nearest ranks. */
export function percentileCont(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  if (lower === upper) return sorted[lower]!;
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** Count, totals known, p50 / p95 / max of the total, escalations, of a set of reboots. */
export function figuresOf(specs: RebootSpec[]) {
  const totals = specs.map((s) => phasesOf(s).totalMs).filter((t): t is number => t !== null);
  return {
    reboots: specs.length,
    withTotal: totals.length,
    escalated: specs.filter((s) => s.escalated).length,
    p50: percentileCont(totals, 0.5),
    p95: percentileCont(totals, 0.95),
    max: totals.length ? Math.max(...totals) : null,
  };
}

/** A duration as the dashboard prints it in en-US: digit-grouped, up to three decimals. */
export const ms = (value: number) => `${value.toLocaleString("en-US", { maximumFractionDigits: 3 })} ms`;

/** What this worker inserted, removed by removeInsertedReports (other specs expect an empty fleet). */
const inserted = { nodeIds: [] as string[], groupIds: [] as string[], rolloutIds: [] as string[] };

/**
 * Nodes (key → hostname), groups of them (name → node keys) and reboot
 * records; returns the ids of the nodes and of each record (in the order given).
 */
export async function insertReboots(options: {
  nodes: Record<string, string>;
  groups?: Record<string, string[]>;
  reboots: RebootSpec[];
}) {
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    const nodeIds: Record<string, string> = {};
    for (const [key, hostname] of Object.entries(options.nodes)) {
      const node = await db.node.create({
        data: {
          machineId: randomBytes(16).toString("hex"),
          hostname,
          status: "offline",
          simulated: false,
          imageVersion: "e2e-2",
        },
      });
      nodeIds[key] = node.id;
      inserted.nodeIds.push(node.id);
    }
    const groupIds: Record<string, string> = {};
    for (const [name, keys] of Object.entries(options.groups ?? {})) {
      const group = await db.nodeGroup.create({
        data: { name, members: { create: keys.map((key) => ({ nodeId: nodeIds[key]! })) } },
      });
      groupIds[name] = group.id;
      inserted.groupIds.push(group.id);
    }
    const recordIds: string[] = [];
    for (const spec of options.reboots) {
      const p = spec.points;
      const record = await db.rebootRecord.create({
        data: {
          nodeId: nodeIds[spec.node]!,
          eventId: `e2e-ev-${randomBytes(6).toString("hex")}`,
          kind: spec.kind,
          requested: spec.requested,
          escalated: spec.escalated ?? false,
          beforeLost: spec.beforeLost ?? false,
          trigger: spec.trigger,
          commandId: spec.commandId ?? null,
          bootIdAfter: randomBytes(16).toString("hex"),
          imageVersionBefore: spec.imageBefore,
          imageVersionAfter: spec.imageAfter,
          signalUsec: p.signal === null ? null : BigInt(p.signal),
          shutdownStartUsec: p.shutdownStart === null ? null : BigInt(p.shutdownStart),
          userspaceUsec: p.userspace === null ? null : BigInt(p.userspace),
          finishUsec: p.finish === null ? null : BigInt(p.finish),
          agentConnectedUsec: BigInt(p.agent),
          units: [],
          recordedAt: spec.at,
        },
      });
      recordIds.push(record.id);
    }
    return { nodeIds, groupIds, recordIds };
  } finally {
    await db.$disconnect();
  }
}

/** A finished rollout that commanded `commandId` on a node (so that a record of that command links to it). */
export async function insertRolloutOf(groupName: string, nodeId: string, hostname: string, commandId: string) {
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    const rollout = await db.rollout.create({
      data: {
        groupName,
        status: "completed",
        plan: {},
        createdByName: "e2e",
        finishedAt: new Date(),
        batches: { create: [{ index: 0, kind: "batch", status: "done" }] },
        nodes: {
          create: [{ nodeId, position: 0, batchIndex: 0, hostname, status: "succeeded", commandId, active: false }],
        },
      },
    });
    inserted.rolloutIds.push(rollout.id);
    return rollout.id;
  } finally {
    await db.$disconnect();
  }
}

/** Deletes what insertReboots and insertRolloutOf wrote (records go with their nodes). */
export async function removeInsertedReports() {
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    await db.rollout.deleteMany({ where: { id: { in: inserted.rolloutIds } } });
    await db.nodeGroup.deleteMany({ where: { id: { in: inserted.groupIds } } });
    await db.node.deleteMany({ where: { id: { in: inserted.nodeIds } } });
    inserted.nodeIds = [];
    inserted.groupIds = [];
    inserted.rolloutIds = [];
  } finally {
    await db.$disconnect();
  }
}

/** A CSV body (RFC 4180: CRLF lines, quoted cells) as records by its header. */
export function parseCsv(text: string): Array<Record<string, string>> {
  const lines: string[][] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      cells.push(cell);
      lines.push(cells);
      cells = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell !== "" || cells.length > 0) lines.push([...cells, cell]);
  const [header = [], ...rows] = lines;
  for (const row of rows) if (row.length !== header.length) throw new Error(`a CSV row of ${row.length} cells: ${row}`);
  return rows.map((row) => Object.fromEntries(row.map((value, i) => [header[i]!, value])));
}

/** A CSV cell of a number or nothing, as a number or null (never a 0 for an empty cell). */
export const csvNumber = (cell: string | undefined) => (cell === undefined || cell === "" ? null : Number(cell));

/** A UTC day as the report's form takes it, `days` days from today. */
export const utcDay = (days: number, from = new Date()) =>
  new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()) + days * 86_400_000)
    .toISOString()
    .slice(0, 10);
