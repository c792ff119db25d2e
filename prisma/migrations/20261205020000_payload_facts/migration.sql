-- Payload facts, computed once when a reboot record is written instead of at
-- every fleet report: over 90 days of a 10,000-node fleet, reading each
-- record's JSON (units, pinned root, client gaps) for the payload figures took
-- about 3 s of every report. The expressions are those of
-- packages/fleet/src/reports/payloads.ts, which the rollout report still reads
-- from the JSON (its few records).

-- A record's surviving units (configured to survive, with an outcome), and those that kept running:
-- jsonpath filters (one C call per row; a SQL function here made writing records a third slower).
ALTER TABLE "RebootRecord"
  ADD COLUMN "survivorsTotal" int GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof("units") = 'array' THEN jsonb_array_length(jsonb_path_query_array("units",
      '$[*] ? (@.survives == true && (@.outcome == "survived" || @.outcome == "restarted" || @.outcome == "absent"))'))
    ELSE 0 END) STORED,
  ADD COLUMN "survivorsKept" int GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof("units") = 'array' THEN jsonb_array_length(jsonb_path_query_array("units",
      '$[*] ? (@.survives == true && @.outcome == "survived")'))
    ELSE 0 END) STORED,
  -- The old root's holders' memory and their count; both null when none was looked for (or not the expected shape).
  ADD COLUMN "pinnedKb" int GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof("pinnedRoot"->'pssKb') = 'number'
      THEN LEAST(GREATEST(round(("pinnedRoot"->'pssKb')::numeric), 0), 2147483647)::int END) STORED,
  ADD COLUMN "pinnedHolders" int GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof("pinnedRoot"->'processes') = 'array'
      THEN jsonb_array_length("pinnedRoot"->'processes') END) STORED;

-- Only the records with payload facts, with what the figures need: the fleet report scans it index-only.
CREATE INDEX "RebootRecord_payloads_idx" ON "RebootRecord"("recordedAt")
  INCLUDE ("nodeId", "imageVersionAfter", "survivorsTotal", "survivorsKept", "pinnedKb", "pinnedHolders")
  WHERE "survivorsTotal" > 0 OR ("pinnedKb" IS NOT NULL AND "pinnedHolders" IS NOT NULL);

-- One row per probed payload of a record (its clientGaps), written by a trigger in the statement that
-- writes the record, as RebootUnit is. Partitioned by month with the records. Never write it directly.
CREATE TABLE "RebootClientGap" (
    "id" BIGSERIAL NOT NULL,
    "recordId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL,
    "imageVersionAfter" TEXT,
    "name" TEXT NOT NULL,
    "ms" DOUBLE PRECISION NOT NULL,
    "failed" INTEGER,

    CONSTRAINT "RebootClientGap_pkey" PRIMARY KEY ("id", "recordedAt"),
    CONSTRAINT "RebootClientGap_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE
) PARTITION BY RANGE ("recordedAt");
CREATE INDEX "RebootClientGap_recordId_idx" ON "RebootClientGap"("recordId");
CREATE INDEX "RebootClientGap_recordedAt_idx" ON "RebootClientGap"("recordedAt")
  INCLUDE ("nodeId", "imageVersionAfter", "name", "ms", "failed");

-- A gap row: named, with a number for its longest gap (failed probes: a non-negative int, else null).
CREATE FUNCTION "RebootClientGap_write"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM "RebootClientGap" g
    USING (SELECT "id" FROM old_records UNION SELECT "id" FROM new_records) o WHERE g."recordId" = o."id";
  END IF;
  INSERT INTO "RebootClientGap" ("recordId", "nodeId", "recordedAt", "imageVersionAfter", "name", "ms", "failed")
  SELECT r."id", r."nodeId", r."recordedAt", r."imageVersionAfter", g->>'name', (g->'longestGapMs')::float8,
    CASE WHEN jsonb_typeof(g->'failedProbes') = 'number'
      THEN LEAST(GREATEST(round((g->'failedProbes')::numeric), 0), 2147483647)::int END
  FROM new_records r
  CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(r."clientGaps") = 'array' THEN r."clientGaps" ELSE '[]'::jsonb END) g
  WHERE g->>'name' IS NOT NULL AND jsonb_typeof(g->'longestGapMs') = 'number';
  RETURN NULL;
END $$;

-- The months: as the other three tables' (migration 20261205010000_monthly_partitions), now four.
CREATE OR REPLACE FUNCTION "softfleet_ensure_partitions"(first_month timestamp, last_month timestamp) RETURNS int
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
  PERFORM pg_advisory_xact_lock(2026120500);
  WHILE m <= date_trunc('month', last_month) LOOP
    FOREACH t IN ARRAY ARRAY['NodeEvent', 'RebootRecord', 'RebootUnit', 'RebootClientGap'] LOOP
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

CREATE OR REPLACE FUNCTION "softfleet_drop_partitions_before"(cutoff timestamp) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  dropped text[] := '{}';
  p record;
  t text;
BEGIN
  PERFORM set_config('lock_timeout', '2s', true);
  PERFORM pg_advisory_xact_lock(2026120500);
  FOREACH t IN ARRAY ARRAY['RebootUnit', 'RebootClientGap', 'RebootRecord', 'NodeEvent'] LOOP
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
  DELETE FROM "ReportBucket" WHERE "at" < date_trunc('month', cutoff);
  DELETE FROM "ReportSpan" WHERE "from" < date_trunc('month', cutoff);
  RETURN dropped;
END $$;

-- Its months: those the records have.
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT to_date(right(c.relname, 6), 'YYYYMM')::timestamp AS m
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = '"RebootRecord"'::regclass AND c.relname ~ '^RebootRecord_p[0-9]{6}$'
  LOOP
    PERFORM "softfleet_ensure_partitions"(p.m, p.m);
  END LOOP;
END $$;

-- Backfill: the gaps of the records already there.
INSERT INTO "RebootClientGap" ("recordId", "nodeId", "recordedAt", "imageVersionAfter", "name", "ms", "failed")
SELECT r."id", r."nodeId", r."recordedAt", r."imageVersionAfter", g->>'name', (g->'longestGapMs')::float8,
  CASE WHEN jsonb_typeof(g->'failedProbes') = 'number'
    THEN LEAST(GREATEST(round((g->'failedProbes')::numeric), 0), 2147483647)::int END
FROM "RebootRecord" r
CROSS JOIN LATERAL jsonb_array_elements(
  CASE WHEN jsonb_typeof(r."clientGaps") = 'array' THEN r."clientGaps" ELSE '[]'::jsonb END) g
WHERE g->>'name' IS NOT NULL AND jsonb_typeof(g->'longestGapMs') = 'number';

-- They go with their record, as units do (RebootUnit_delete).
CREATE FUNCTION "RebootClientGap_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
  lo timestamp;
  hi timestamp;
BEGIN
  SELECT array_agg("id"), min("recordedAt"), max("recordedAt") INTO ids, lo, hi FROM old_records;
  IF ids IS NOT NULL THEN
    DELETE FROM "RebootClientGap" WHERE "recordId" = ANY(ids) AND "recordedAt" BETWEEN lo AND hi;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "RebootClientGap_on_delete" AFTER DELETE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootClientGap_delete"();
CREATE TRIGGER "RebootClientGap_on_insert" AFTER INSERT ON "RebootRecord"
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootClientGap_write"();
CREATE TRIGGER "RebootClientGap_on_update" AFTER UPDATE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "RebootClientGap_write"();

ANALYZE "RebootRecord";
ANALYZE "RebootClientGap";

-- Only the owner and the app role (granted by packages/db/src/roles.ts) may make or drop months.
REVOKE EXECUTE ON FUNCTION "softfleet_ensure_partitions"(timestamp, timestamp) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION "softfleet_drop_partitions_before"(timestamp) FROM PUBLIC;
