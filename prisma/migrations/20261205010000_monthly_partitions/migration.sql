-- Agent events, reboot records and their units are partitioned by month (UTC) of
-- when they arrived, so that a retention setting drops whole months (DROP TABLE,
-- no row-by-row DELETE, no bloat) and a report over a range reads only the months
-- it spans.
--
-- A partitioned table's unique indexes must hold its partition key, so the keys
-- become (key, time). What each key guaranteed still holds:
-- - an agent event is stored once by its (node, id) in any month: its key is kept
--   in a table of its own (migration 20261205030000_event_keys);
-- - a reboot record is written only with the event it came from, so once.
--
-- Months are created ahead by "softfleet_ensure_partitions" (control calls it at
-- start and every hour, three months ahead) and dropped by
-- "softfleet_drop_partitions_before" (control's retention, SOFTFLEET_RETENTION_DAYS).
-- Both are SECURITY DEFINER: the app role has row rights only, and the months it
-- creates belong to the schema's owner. Rows are read and written through the
-- parent tables only, on which the app role has its rights.

-- The month partitions of the three tables from `first_month` to `last_month`
-- (both included), those missing created. Returns how many tables it created.
-- A lock it cannot get within 2 s (a long report reading the table) fails it:
-- the caller tries again later, and writers never queue behind it for long.
CREATE FUNCTION "softfleet_ensure_partitions"(first_month timestamp, last_month timestamp) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  m timestamp := date_trunc('month', first_month);
  created int := 0;
  t text;
  name text;
BEGIN
  IF last_month < first_month OR last_month - first_month > interval '100 years' THEN
    RAISE EXCEPTION 'months from % to % is not a range of months softfleet creates', first_month, last_month;
  END IF;
  PERFORM set_config('lock_timeout', '2s', true);
  -- One creator at a time (two control processes starting together).
  PERFORM pg_advisory_xact_lock(2026120500);
  WHILE m <= date_trunc('month', last_month) LOOP
    FOREACH t IN ARRAY ARRAY['NodeEvent', 'RebootRecord', 'RebootUnit'] LOOP
      name := t || '_p' || to_char(m, 'YYYYMM');
      IF to_regclass(format('public.%I', name)) IS NULL THEN
        EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
          name, t, m, m + interval '1 month');
        created := created + 1;
      END IF;
    END LOOP;
    m := m + interval '1 month';
  END LOOP;
  RETURN created;
END $$;

-- Drops the months that ended at or before `cutoff` (whole months only: a month
-- is kept while any of its time is within the retention), units first, then
-- records, then events; and forgets the report figures kept for the days dropped.
-- Returns the names of the tables dropped.
CREATE FUNCTION "softfleet_drop_partitions_before"(cutoff timestamp) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  dropped text[] := '{}';
  p record;
  t text;
BEGIN
  PERFORM set_config('lock_timeout', '2s', true);
  PERFORM pg_advisory_xact_lock(2026120500);
  FOREACH t IN ARRAY ARRAY['RebootUnit', 'RebootRecord', 'NodeEvent'] LOOP
    FOR p IN
      SELECT c.relname
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = format('public.%I', t)::regclass
        AND c.relname ~ ('^' || t || '_p[0-9]{6}$')
        AND to_date(right(c.relname, 6), 'YYYYMM')::timestamp + interval '1 month' <= cutoff
      ORDER BY c.relname
    LOOP
      IF t = 'RebootRecord' THEN
        EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', t, p.relname);
      END IF;
      EXECUTE format('DROP TABLE public.%I', p.relname);
      dropped := dropped || p.relname::text;
    END LOOP;
  END LOOP;
  -- Dropping a table fires no delete trigger: forget here what was kept of those days.
  DELETE FROM "ReportBucket" WHERE "at" < date_trunc('month', cutoff);
  DELETE FROM "ReportSpan" WHERE "from" < date_trunc('month', cutoff);
  RETURN dropped;
END $$;

-- The tables as they were step aside; their names are taken by the partitioned ones.
ALTER TABLE "NodeEvent" RENAME TO "NodeEvent_unpartitioned";
ALTER TABLE "NodeEvent_unpartitioned" RENAME CONSTRAINT "NodeEvent_pkey" TO "NodeEvent_unpartitioned_pkey";
ALTER TABLE "NodeEvent_unpartitioned" RENAME CONSTRAINT "NodeEvent_nodeId_fkey" TO "NodeEvent_unpartitioned_nodeId_fkey";
ALTER INDEX "NodeEvent_nodeId_receivedAt_idx" RENAME TO "NodeEvent_unpartitioned_nodeId_receivedAt_idx";

DROP TRIGGER "RebootUnit_on_insert" ON "RebootRecord";
DROP TRIGGER "RebootUnit_on_update" ON "RebootRecord";
DROP TRIGGER "ReportBucket_on_insert" ON "RebootRecord";
DROP TRIGGER "ReportBucket_on_update" ON "RebootRecord";
DROP TRIGGER "ReportBucket_on_delete" ON "RebootRecord";
DROP TRIGGER "ReportBucket_on_truncate" ON "RebootRecord";
ALTER TABLE "RebootUnit" DROP CONSTRAINT "RebootUnit_recordId_fkey";
ALTER TABLE "RebootRecord" RENAME TO "RebootRecord_unpartitioned";
ALTER TABLE "RebootRecord_unpartitioned" RENAME CONSTRAINT "RebootRecord_pkey" TO "RebootRecord_unpartitioned_pkey";
ALTER TABLE "RebootRecord_unpartitioned" RENAME CONSTRAINT "RebootRecord_nodeId_fkey" TO "RebootRecord_unpartitioned_nodeId_fkey";
ALTER INDEX "RebootRecord_commandId_recordedAt_idx" RENAME TO "RebootRecord_unpartitioned_commandId_recordedAt_idx";
ALTER INDEX "RebootRecord_nodeId_eventId_key" RENAME TO "RebootRecord_unpartitioned_nodeId_eventId_key";
ALTER INDEX "RebootRecord_nodeId_recordedAt_idx" RENAME TO "RebootRecord_unpartitioned_nodeId_recordedAt_idx";
ALTER INDEX "RebootRecord_recordedAt_idx" RENAME TO "RebootRecord_unpartitioned_recordedAt_idx";
ALTER INDEX "RebootRecord_soft_totals_idx" RENAME TO "RebootRecord_unpartitioned_soft_totals_idx";

ALTER SEQUENCE "RebootUnit_id_seq" OWNED BY NONE;
ALTER TABLE "RebootUnit" RENAME TO "RebootUnit_unpartitioned";
ALTER TABLE "RebootUnit_unpartitioned" RENAME CONSTRAINT "RebootUnit_pkey" TO "RebootUnit_unpartitioned_pkey";
ALTER INDEX "RebootUnit_recordId_idx" RENAME TO "RebootUnit_unpartitioned_recordId_idx";
ALTER INDEX "RebootUnit_recordedAt_idx" RENAME TO "RebootUnit_unpartitioned_recordedAt_idx";
ALTER INDEX "RebootUnit_restart_gaps_idx" RENAME TO "RebootUnit_unpartitioned_restart_gaps_idx";

-- The partitioned tables: the same columns, in the same order.
CREATE TABLE "NodeEvent" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "payload" JSONB NOT NULL,

    CONSTRAINT "NodeEvent_pkey" PRIMARY KEY ("nodeId", "id", "receivedAt"),
    CONSTRAINT "NodeEvent_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE
) PARTITION BY RANGE ("receivedAt");
CREATE INDEX "NodeEvent_nodeId_receivedAt_idx" ON "NodeEvent"("nodeId", "receivedAt");

CREATE TABLE "RebootRecord" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "requested" TEXT,
    "escalated" BOOLEAN NOT NULL,
    "beforeLost" BOOLEAN NOT NULL,
    "trigger" TEXT NOT NULL,
    "commandId" TEXT,
    "bootIdBefore" TEXT,
    "bootIdAfter" TEXT NOT NULL,
    "softRebootsCountBefore" INTEGER,
    "softRebootsCountAfter" INTEGER,
    "imageVersionBefore" TEXT,
    "imageVersionAfter" TEXT,
    "signalUsec" BIGINT,
    "shutdownStartUsec" BIGINT,
    "userspaceUsec" BIGINT,
    "finishUsec" BIGINT,
    "agentConnectedUsec" BIGINT NOT NULL,
    "units" JSONB NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- As in migration 20261127030000_report_facts.
    "signalToShutdownMs" double precision GENERATED ALWAYS AS (
      CASE WHEN "kind" = 'soft-reboot' THEN
        CASE WHEN "shutdownStartUsec" >= "signalUsec" THEN ("shutdownStartUsec" - "signalUsec")::float8 / 1000 END
      END) STORED,
    "shutdownMs" double precision GENERATED ALWAYS AS (
      CASE WHEN "kind" = 'soft-reboot' THEN
        CASE WHEN "userspaceUsec" >= "shutdownStartUsec" THEN ("userspaceUsec" - "shutdownStartUsec")::float8 / 1000 END
      END) STORED,
    "bootMs" double precision GENERATED ALWAYS AS (
      CASE WHEN "finishUsec" >= "userspaceUsec" THEN ("finishUsec" - "userspaceUsec")::float8 / 1000 END) STORED,
    "reconnectMs" double precision GENERATED ALWAYS AS (
      CASE WHEN "agentConnectedUsec" >= "finishUsec" THEN ("agentConnectedUsec" - "finishUsec")::float8 / 1000 END) STORED,
    "totalMs" double precision GENERATED ALWAYS AS (
      CASE WHEN "kind" = 'soft-reboot' THEN
        CASE WHEN "agentConnectedUsec" >= COALESCE("signalUsec", "shutdownStartUsec")
          THEN ("agentConnectedUsec" - COALESCE("signalUsec", "shutdownStartUsec"))::float8 / 1000 END
      ELSE
        CASE WHEN "agentConnectedUsec" >= "userspaceUsec" THEN ("agentConnectedUsec" - "userspaceUsec")::float8 / 1000 END
      END) STORED,
    "rebootType" text GENERATED ALWAYS AS (
      CASE WHEN "kind" IS NULL THEN NULL WHEN "kind" = 'soft-reboot' THEN 'soft-reboot'
        WHEN "requested" = 'kexec' THEN 'kexec' ELSE 'full-reboot' END) STORED,
    "blame" JSONB,
    "pinnedRoot" JSONB,
    "clientGaps" JSONB,
    "containers" JSONB,
    "network" JSONB,
    "announced" TEXT,

    CONSTRAINT "RebootRecord_pkey" PRIMARY KEY ("id", "recordedAt"),
    CONSTRAINT "RebootRecord_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE
) PARTITION BY RANGE ("recordedAt");
CREATE UNIQUE INDEX "RebootRecord_nodeId_eventId_key" ON "RebootRecord"("nodeId", "eventId", "recordedAt");
CREATE INDEX "RebootRecord_commandId_recordedAt_idx" ON "RebootRecord"("commandId", "recordedAt");
CREATE INDEX "RebootRecord_nodeId_recordedAt_idx" ON "RebootRecord"("nodeId", "recordedAt") INCLUDE ("rebootType", "totalMs");
CREATE INDEX "RebootRecord_recordedAt_idx" ON "RebootRecord"("recordedAt")
  INCLUDE ("id", "nodeId", "rebootType", "imageVersionAfter", "escalated", "beforeLost",
    "signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs");
CREATE INDEX "RebootRecord_soft_totals_idx" ON "RebootRecord"("totalMs") INCLUDE ("recordedAt", "nodeId")
  WHERE "rebootType" = 'soft-reboot' AND "totalMs" IS NOT NULL;

CREATE TABLE "RebootUnit" (
    "id" BIGINT NOT NULL DEFAULT nextval('"RebootUnit_id_seq"'),
    "recordId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL,
    "rebootType" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "outcome" TEXT,
    "gapMs" DOUBLE PRECISION,

    CONSTRAINT "RebootUnit_pkey" PRIMARY KEY ("id", "recordedAt"),
    -- A deleted node's units go with it whichever way it is deleted (Node is not partitioned: a cheap key).
    CONSTRAINT "RebootUnit_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE
) PARTITION BY RANGE ("recordedAt");
ALTER SEQUENCE "RebootUnit_id_seq" OWNED BY "RebootUnit"."id";
CREATE INDEX "RebootUnit_recordId_idx" ON "RebootUnit"("recordId");
CREATE INDEX "RebootUnit_recordedAt_idx" ON "RebootUnit"("recordedAt")
  INCLUDE ("nodeId", "rebootType", "name", "outcome", "gapMs");
CREATE INDEX "RebootUnit_restart_gaps_idx" ON "RebootUnit"("name", "recordedAt") INCLUDE ("nodeId", "gapMs")
  WHERE "rebootType" = 'soft-reboot' AND "gapMs" IS NOT NULL;

-- The months the rows already there need, the 13 before this one (reports reach a year back), and three ahead.
SELECT "softfleet_ensure_partitions"(
  LEAST(
    (SELECT min("receivedAt") FROM "NodeEvent_unpartitioned"),
    (SELECT min("recordedAt") FROM "RebootRecord_unpartitioned"),
    (now() AT TIME ZONE 'UTC') - interval '13 months'),
  (now() AT TIME ZONE 'UTC') + interval '3 months');

-- The rows, moved (the generated columns are computed again, by the same expressions).
INSERT INTO "NodeEvent" ("id", "nodeId", "type", "receivedAt", "payload")
SELECT "id", "nodeId", "type", "receivedAt", "payload" FROM "NodeEvent_unpartitioned";
INSERT INTO "RebootRecord" ("id", "nodeId", "eventId", "kind", "requested", "escalated", "beforeLost", "trigger",
  "commandId", "bootIdBefore", "bootIdAfter", "softRebootsCountBefore", "softRebootsCountAfter", "imageVersionBefore",
  "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec", "agentConnectedUsec", "units",
  "recordedAt", "blame", "pinnedRoot", "clientGaps", "containers", "network", "announced")
SELECT "id", "nodeId", "eventId", "kind", "requested", "escalated", "beforeLost", "trigger",
  "commandId", "bootIdBefore", "bootIdAfter", "softRebootsCountBefore", "softRebootsCountAfter", "imageVersionBefore",
  "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec", "agentConnectedUsec", "units",
  "recordedAt", "blame", "pinnedRoot", "clientGaps", "containers", "network", "announced"
FROM "RebootRecord_unpartitioned";
INSERT INTO "RebootUnit" ("id", "recordId", "nodeId", "recordedAt", "rebootType", "name", "outcome", "gapMs")
SELECT "id", "recordId", "nodeId", "recordedAt", "rebootType", "name", "outcome", "gapMs" FROM "RebootUnit_unpartitioned";

DROP TABLE "RebootUnit_unpartitioned";
DROP TABLE "RebootRecord_unpartitioned";
DROP TABLE "NodeEvent_unpartitioned";

-- The triggers of migrations 20261127030000_report_facts and 20261127060000_report_buckets, on the
-- partitioned table (statement triggers with transition tables see the rows of every month written).
CREATE TRIGGER "RebootUnit_on_insert" AFTER INSERT ON "RebootRecord"
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootUnit_write"();
CREATE TRIGGER "RebootUnit_on_update" AFTER UPDATE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootUnit_write"();
-- A record's units go with it: a trigger, not a foreign key (a key referencing a partitioned table
-- is checked row by row through its parent, which made writing records twice as slow). Units are
-- written only by the triggers above; a month of units is dropped with its month of records.
-- By the records' ids, in the months they span (the index on recordId of each): a join with the
-- transition table (which has no statistics) was planned as a scan of every month's units per record.
CREATE FUNCTION "RebootUnit_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
  lo timestamp;
  hi timestamp;
BEGIN
  SELECT array_agg("id"), min("recordedAt"), max("recordedAt") INTO ids, lo, hi FROM old_records;
  IF ids IS NOT NULL THEN
    DELETE FROM "RebootUnit" WHERE "recordId" = ANY(ids) AND "recordedAt" BETWEEN lo AND hi;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "RebootUnit_on_delete" AFTER DELETE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootUnit_delete"();
CREATE TRIGGER "ReportBucket_on_insert" AFTER INSERT ON "RebootRecord"
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_write"();
CREATE TRIGGER "ReportBucket_on_update" AFTER UPDATE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_write"();
CREATE TRIGGER "ReportBucket_on_delete" AFTER DELETE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_write"();
CREATE TRIGGER "ReportBucket_on_truncate" AFTER TRUNCATE ON "RebootRecord"
  FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_truncate"();

-- Planner statistics for the new tables (the reports' plans depend on them).
ANALYZE "NodeEvent";
ANALYZE "RebootRecord";
ANALYZE "RebootUnit";
