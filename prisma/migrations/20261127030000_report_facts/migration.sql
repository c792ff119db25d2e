-- Report facts: what the fleet and rollout reports aggregate, computed once when
-- a reboot record is written instead of at every report.

-- A record's phases (ms) and reboot type, as STORED generated columns: Postgres
-- computes them from the µs columns on every insert and update (and for the
-- existing rows here), so nothing can write them inconsistently. The expressions
-- are those the reports computed at every query before (phaseColumns in
-- packages/fleet/src/reports/sql.ts), doing in SQL what phaseDurations
-- (packages/fleet/src/phases.ts) does in TypeScript: a phase is null when either
-- end is unknown or the clock went backwards, and after a full reboot only the
-- new boot's points compare (packages/stack/src/report-facts.test.ts compares them).
ALTER TABLE "RebootRecord"
  ADD COLUMN "signalToShutdownMs" double precision GENERATED ALWAYS AS (
    CASE WHEN "kind" = 'soft-reboot' THEN
      CASE WHEN "shutdownStartUsec" >= "signalUsec" THEN ("shutdownStartUsec" - "signalUsec")::float8 / 1000 END
    END) STORED,
  ADD COLUMN "shutdownMs" double precision GENERATED ALWAYS AS (
    CASE WHEN "kind" = 'soft-reboot' THEN
      CASE WHEN "userspaceUsec" >= "shutdownStartUsec" THEN ("userspaceUsec" - "shutdownStartUsec")::float8 / 1000 END
    END) STORED,
  ADD COLUMN "bootMs" double precision GENERATED ALWAYS AS (
    CASE WHEN "finishUsec" >= "userspaceUsec" THEN ("finishUsec" - "userspaceUsec")::float8 / 1000 END) STORED,
  ADD COLUMN "reconnectMs" double precision GENERATED ALWAYS AS (
    CASE WHEN "agentConnectedUsec" >= "finishUsec" THEN ("agentConnectedUsec" - "finishUsec")::float8 / 1000 END) STORED,
  ADD COLUMN "totalMs" double precision GENERATED ALWAYS AS (
    CASE WHEN "kind" = 'soft-reboot' THEN
      CASE WHEN "agentConnectedUsec" >= COALESCE("signalUsec", "shutdownStartUsec")
        THEN ("agentConnectedUsec" - COALESCE("signalUsec", "shutdownStartUsec"))::float8 / 1000 END
    ELSE
      CASE WHEN "agentConnectedUsec" >= "userspaceUsec" THEN ("agentConnectedUsec" - "userspaceUsec")::float8 / 1000 END
    END) STORED,
  ADD COLUMN "rebootType" text GENERATED ALWAYS AS (
    CASE WHEN "kind" IS NULL THEN NULL WHEN "kind" = 'soft-reboot' THEN 'soft-reboot'
      WHEN "requested" = 'kexec' THEN 'kexec' ELSE 'full-reboot' END) STORED;

-- Reports read a time range of records: the range index carries what the
-- aggregations need, so they scan it index-only and never touch the wide rows.
DROP INDEX "RebootRecord_recordedAt_idx";
CREATE INDEX "RebootRecord_recordedAt_idx" ON "RebootRecord"("recordedAt")
  INCLUDE ("id", "nodeId", "rebootType", "imageVersionAfter", "escalated", "beforeLost",
    "signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs");

-- A group's label selector finds its nodes (labels @> selector) through this index.
CREATE INDEX "Node_labels_idx" ON "Node" USING GIN ("labels" jsonb_path_ops);

-- CreateTable
CREATE TABLE "RebootUnit" (
    "id" BIGSERIAL NOT NULL,
    "recordId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL,
    "rebootType" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "outcome" TEXT,
    "gapMs" DOUBLE PRECISION,

    CONSTRAINT "RebootUnit_pkey" PRIMARY KEY ("id")
);

-- The units of the records a statement wrote (its transition tables), one row
-- per watched unit of each: the same columns, filters and gap as the reports
-- computed from the JSON before (a unit without a name is skipped, the gap of a
-- restart is activeEnter - inactiveEnter, null when unknown or backwards).
CREATE FUNCTION "RebootUnit_write"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM "RebootUnit" u
    USING (SELECT "id" FROM old_records UNION SELECT "id" FROM new_records) o WHERE u."recordId" = o."id";
  END IF;
  INSERT INTO "RebootUnit" ("recordId", "nodeId", "recordedAt", "rebootType", "name", "outcome", "gapMs")
  SELECT r."id", r."nodeId", r."recordedAt", r."rebootType", e->>'name', e->>'outcome',
    CASE WHEN e->>'outcome' = 'restarted' AND e->>'activeEnterUsec' ~ '^[0-9]{1,20}$'
      AND e->>'inactiveEnterUsec' ~ '^[0-9]{1,20}$' THEN
      CASE WHEN (e->>'activeEnterUsec')::numeric >= (e->>'inactiveEnterUsec')::numeric
        THEN ((e->>'activeEnterUsec')::numeric - (e->>'inactiveEnterUsec')::numeric)::float8 / 1000 END
    END
  FROM new_records r
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r."units") = 'array' THEN r."units" ELSE '[]' END) e
  WHERE e->>'name' IS NOT NULL;
  RETURN NULL;
END $$;

-- Backfill: the units of the records already there.
INSERT INTO "RebootUnit" ("recordId", "nodeId", "recordedAt", "rebootType", "name", "outcome", "gapMs")
SELECT r."id", r."nodeId", r."recordedAt", r."rebootType", e->>'name', e->>'outcome',
  CASE WHEN e->>'outcome' = 'restarted' AND e->>'activeEnterUsec' ~ '^[0-9]{1,20}$'
    AND e->>'inactiveEnterUsec' ~ '^[0-9]{1,20}$' THEN
    CASE WHEN (e->>'activeEnterUsec')::numeric >= (e->>'inactiveEnterUsec')::numeric
      THEN ((e->>'activeEnterUsec')::numeric - (e->>'inactiveEnterUsec')::numeric)::float8 / 1000 END
  END
FROM "RebootRecord" r
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r."units") = 'array' THEN r."units" ELSE '[]' END) e
WHERE e->>'name' IS NOT NULL;

-- Written in the statement that writes the record (a record's units are
-- rewritten when it is updated, and deleted with it by the foreign key).
CREATE TRIGGER "RebootUnit_on_insert" AFTER INSERT ON "RebootRecord"
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootUnit_write"();
CREATE TRIGGER "RebootUnit_on_update" AFTER UPDATE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootUnit_write"();

-- CreateIndex
CREATE INDEX "RebootUnit_recordId_idx" ON "RebootUnit"("recordId");

-- CreateIndex (covering: the services breakdown scans it index-only)
CREATE INDEX "RebootUnit_recordedAt_idx" ON "RebootUnit"("recordedAt")
  INCLUDE ("nodeId", "rebootType", "name", "outcome", "gapMs");

-- AddForeignKey
ALTER TABLE "RebootUnit" ADD CONSTRAINT "RebootUnit_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "RebootRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;
