-- Each agent event's key, (node, id), in one table that is not partitioned: its
-- primary key is the unique index that the partitioned events cannot have across
-- months. Writers insert the key first (ON CONFLICT DO NOTHING) and the event
-- only when the key was new: an event sent again in any later month is stored
-- once, with one index probe (checking every month's events instead, under a
-- lock per node, cut ingest from 11,000 to 4,600 events a second). Retention
-- deletes the keys of the months it drops (narrow rows, by their own index).
CREATE TABLE "NodeEventKey" (
    "nodeId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NodeEventKey_pkey" PRIMARY KEY ("nodeId", "id"),
    CONSTRAINT "NodeEventKey_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "NodeEventKey_receivedAt_idx" ON "NodeEventKey"("receivedAt");

INSERT INTO "NodeEventKey" ("nodeId", "id", "receivedAt")
SELECT "nodeId", "id", min("receivedAt") FROM "NodeEvent" GROUP BY "nodeId", "id";

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
  -- The keys of the events dropped (those of the months before the first one kept).
  DELETE FROM "NodeEventKey" WHERE "receivedAt" < date_trunc('month', cutoff)
    AND NOT EXISTS (SELECT 1 FROM "NodeEvent" e WHERE e."nodeId" = "NodeEventKey"."nodeId" AND e.id = "NodeEventKey".id);
  DELETE FROM "ReportBucket" WHERE "at" < date_trunc('month', cutoff);
  DELETE FROM "ReportSpan" WHERE "from" < date_trunc('month', cutoff);
  RETURN dropped;
END $$;
REVOKE EXECUTE ON FUNCTION "softfleet_drop_partitions_before"(timestamp) FROM PUBLIC;
