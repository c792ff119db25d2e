import { randomBytes } from "node:crypto";
import type { Db } from "@softfleet/db";
import { formatNodeCredential, hashSecret, newSecret } from "@softfleet/fleet";
import { type WireNodeSpec, WirePool, type WirePoolOptions } from "@softfleet/simagent";
import type pg from "pg";
import { until } from "./rollouts";

/** Fleets written straight into the database, for tests and benchmarks. */

/**
 * N enrolled nodes, written straight into the database in one statement each
 * way: enrollment's HTTP path is not what this measures, and 10,000 of them
 * would take minutes. Each gets a credential as enrollment makes one (its
 * secret's SHA-256 stored, the credential kept by its agent).
 */
export async function provisionNodes(db: Db, count: number): Promise<WireNodeSpec[]> {
  const specs: WireNodeSpec[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = `scale${i.toString(36).padStart(6, "0")}${randomBytes(4).toString("hex")}`;
    const secret = newSecret();
    specs.push({
      nodeId,
      machineId: randomBytes(16).toString("hex"),
      hostname: `scale-${String(i).padStart(5, "0")}`,
      credential: formatNodeCredential(nodeId, secret),
      labels: { bench: "scale" },
    });
    hashes.push(hashSecret(secret));
  }
  await db.$executeRaw`
    INSERT INTO "Node" (id, "machineId", hostname, simulated, status, "credentialHash", "enrolledAt", "updatedAt")
    SELECT id, machine, host, true, 'offline', hash, now(), now()
    FROM unnest(${specs.map((s) => s.nodeId)}::text[], ${specs.map((s) => s.machineId)}::text[],
                ${specs.map((s) => s.hostname)}::text[], ${hashes}::text[]) AS n(id, machine, host, hash)`;
  return specs;
}

/**
 * A fleet's history written with SQL (generate_series): `nodes` nodes in ten
 * groups by label, `records` reboot records over the last 365 days (97 %
 * soft-reboots, 2 % full reboots of which half escalated, 1 % kexec), three
 * watched units each, and one finished rollout of 1,000 nodes in batches of 100.
 */
export async function generateFleet(client: pg.Client, nodes: number, records: number) {
  // A bulk load, not a request: no statement limit (SOFTFLEET_DB_STATEMENT_TIMEOUT_MS).
  await client.query("SET statement_timeout = 0");
  // The year's months, as an import's would be made (the migration made 13 back from its own day).
  await client.query(
    `SELECT "softfleet_ensure_partitions"((now() AT TIME ZONE 'UTC') - interval '366 days', now() AT TIME ZONE 'UTC')`,
  );
  await client.query(`
    INSERT INTO "Node" (id, "machineId", hostname, labels, simulated, status, "imageVersion", "updatedAt")
    SELECT 'node-' || i, md5(i::text), 'host-' || lpad(i::text, 5, '0'), jsonb_build_object('zone', 'z' || (i % 10)),
      true, 'online', '42', now()
    FROM generate_series(1, ${nodes}) i`);
  await client.query(`
    INSERT INTO "NodeGroup" (id, name, "labelSelector", "updatedAt")
    SELECT 'group-' || z, 'zone ' || z, jsonb_build_object('zone', 'z' || z), now() FROM generate_series(0, 9) z`);
  await client.query(`
    INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger, "commandId",
      "bootIdAfter", "imageVersionBefore", "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec",
      "finishUsec", "agentConnectedUsec", units, "recordedAt")
    SELECT 'rec-' || i, 'node-' || (i % ${nodes} + 1), 'ev-' || i,
      CASE WHEN t < 0.97 THEN 'soft-reboot' ELSE 'full-reboot' END,
      CASE WHEN t < 0.98 THEN 'soft-reboot' WHEN t < 0.99 THEN 'reboot' ELSE 'kexec' END,
      t >= 0.97 AND t < 0.98, false,
      CASE WHEN i <= 1000 OR i % 3 = 0 THEN 'rollout' WHEN i % 3 = 1 THEN 'manual' ELSE 'external' END,
      CASE WHEN i <= 1000 THEN 'cmd-' || i END,
      md5('b' || i), (38 + i % 5)::text, (39 + i % 5)::text,
      CASE WHEN t < 0.97 THEN s END, CASE WHEN t < 0.97 THEN s + 20000 + (i % 50) * 1000 END,
      s + 300000 + (i % 700) * 1000, s + 1200000 + (i % 900) * 1000, s + 1400000 + (i % 1000) * 1000,
      jsonb_build_array(
        jsonb_build_object('name', 'db.service', 'outcome', 'survived'),
        jsonb_build_object('name', 'web.service', 'outcome', 'restarted',
          'inactiveEnterUsec', (s + 10000)::text, 'activeEnterUsec', (s + 900000 + (i % 400) * 1000)::text),
        jsonb_build_object('name', 'cache' || (i % 5) || '.service', 'outcome', CASE WHEN i % 2 = 0 THEN 'restarted' ELSE 'survived' END,
          'inactiveEnterUsec', (s + 10000)::text, 'activeEnterUsec', (s + 1300000 + (i % 300) * 1000)::text)),
      now() - (i::float8 / ${records}) * interval '365 days'
    FROM (SELECT i, ((i::bigint * 7919) % 1000) / 1000.0 AS t, 1000000000::bigint + (i % 100000) * 1000 AS s
          FROM generate_series(1, ${records}) i) g
    -- Oldest first, as records arrive (newest first left the recordedAt indexes half-full).
    ORDER BY i DESC`);
  await client.query(`
    INSERT INTO "Rollout" (id, "groupId", "groupName", status, plan, "createdByName", "finishedAt", "updatedAt")
    VALUES ('bench-rollout', NULL, 'bench', 'completed', '{}', 'bench', now(), now())`);
  await client.query(`
    INSERT INTO "RolloutBatch" ("rolloutId", index, kind, status)
    SELECT 'bench-rollout', b, CASE WHEN b = 0 THEN 'canary' ELSE 'batch' END, 'done' FROM generate_series(0, 9) b`);
  // The rollout's soft-reboot commands, each asked for a minute before its record.
  await client.query(`
    INSERT INTO "NodeCommand" (id, "nodeId", type, status, "requestedAt", "sentAt", "answeredAt")
    SELECT 'cmd-' || r.n, r."nodeId", 'soft-reboot', 'accepted', r."recordedAt" - interval '1 minute',
      r."recordedAt" - interval '1 minute', r."recordedAt" - interval '50 seconds'
    FROM (SELECT substr(id, 5)::int AS n, "nodeId", "recordedAt" FROM "RebootRecord" WHERE "commandId" LIKE 'cmd-%') r`);
  await client.query(`
    INSERT INTO "RolloutNode" ("rolloutId", "nodeId", position, "batchIndex", hostname, status, "commandId", active)
    SELECT 'bench-rollout', 'node-' || (i % ${nodes} + 1), i, (i - 1) / 100, 'host-' || lpad((i % ${nodes} + 1)::text, 5, '0'),
      CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END, CASE WHEN i % 50 = 0 THEN NULL ELSE 'cmd-' || i END, false
    FROM generate_series(1, 1000) i`);
  await client.query("VACUUM ANALYZE");
  // The load is over: its dirty pages go to disk now, not during the measured runs.
  await client.query("CHECKPOINT");
}

/**
 * N wire-level agents connected to `controlUrl` that soft-reboot onto
 * version 2 when told (staged already), all online; their group `groupName`
 * and an operator to start a rollout as. The caller stops `pool`.
 */
export async function wireFleetOnline(
  db: Db,
  controlUrl: string,
  count: number,
  groupName: string,
  options: Partial<WirePoolOptions> = {},
) {
  const specs = await provisionNodes(db, count);
  const pool = new WirePool(specs, { controlUrl, commands: "reboot", staged: "2", ...options });
  await pool.start();
  await until(
    "every node online with version 2 staged",
    async () =>
      (await db.node.count({
        where: { id: { in: specs.map((s) => s.nodeId) }, status: "online", nextrootImageVersion: "2" },
      })) === count,
  ).catch((error: Error) => {
    pool.stop();
    throw error;
  });
  const group = await db.nodeGroup.create({
    data: { name: groupName, members: { create: specs.map((s) => ({ nodeId: s.nodeId })) } },
  });
  const user = await db.user.create({
    data: { username: `${groupName}-op`, displayName: "Operator", passwordHash: "-", role: "operator" },
  });
  return { specs, pool, group, user: { id: user.id, name: user.username } };
}
