-- Settled buckets of the fleet report. A day (or week) that ended more than an
-- hour ago no longer gains reboot records (records are stamped when they
-- arrive), so its trend points and its services' outcome counts are kept here
-- once computed: a fleet report computes live only what falls outside the
-- buckets kept (packages/fleet/src/reports/buckets.ts).
--
-- Any write to the records of a bucket kept (a late import, a deleted node, an
-- edited record) forgets the bucket in the same transaction, and a report's
-- snapshot sees either the bucket or the records that replace it. The writers
-- hold a shared advisory lock on each day they touch until they commit; a report
-- filling buckets holds the days exclusively while it computes them, so it never
-- stores a bucket without records still in flight.
CREATE TABLE "ReportBucket" (
    "bucket" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "trend" JSONB NOT NULL,
    "services" JSONB NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReportBucket_pkey" PRIMARY KEY ("bucket", "at"),
    CONSTRAINT "ReportBucket_bucket_check" CHECK ("bucket" IN ('day', 'week'))
);

-- The days (UTC, as days since 1970-01-01) of the records a statement changed:
-- each is locked shared (advisory lock 20261127, day), in ascending order, and the
-- day and week buckets holding it are forgotten.
CREATE FUNCTION "ReportBucket_forget"(days int[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(20261127, d) FROM unnest(days) d ORDER BY d;
  DELETE FROM "ReportBucket" c
  USING (SELECT DISTINCT b, date_trunc(b, timestamp '1970-01-01' + d * interval '1 day') AS at
         FROM unnest(days) d CROSS JOIN unnest(ARRAY['day', 'week']) b) f
  WHERE c."bucket" = f.b AND c."at" = f.at;
END $$;

CREATE FUNCTION "ReportBucket_on_write"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  days int[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT floor(extract(epoch FROM r."recordedAt") / 86400)::int) INTO days FROM new_records r;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(DISTINCT floor(extract(epoch FROM r."recordedAt") / 86400)::int) INTO days
    FROM (SELECT "recordedAt" FROM old_records UNION ALL SELECT "recordedAt" FROM new_records) r;
  ELSE
    SELECT array_agg(DISTINCT floor(extract(epoch FROM r."recordedAt") / 86400)::int) INTO days FROM old_records r;
  END IF;
  IF days IS NOT NULL THEN
    PERFORM "ReportBucket_forget"(days);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "ReportBucket_on_insert" AFTER INSERT ON "RebootRecord"
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_write"();
CREATE TRIGGER "ReportBucket_on_update" AFTER UPDATE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_write"();
CREATE TRIGGER "ReportBucket_on_delete" AFTER DELETE ON "RebootRecord"
  REFERENCING OLD TABLE AS old_records FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_write"();

-- Emptying the records empties the buckets.
CREATE FUNCTION "ReportBucket_on_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "ReportBucket";
  RETURN NULL;
END $$;
CREATE TRIGGER "ReportBucket_on_truncate" AFTER TRUNCATE ON "RebootRecord"
  FOR EACH STATEMENT EXECUTE FUNCTION "ReportBucket_on_truncate"();
