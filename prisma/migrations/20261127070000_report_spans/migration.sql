-- The settled span of a fleet report: the whole days of its range that ended
-- over an hour ago, as one block. Per breakdown (the reboot types, each image
-- version and type, each watched unit's restarts) and phase it keeps the count,
-- the maximum and, around the ranks of p50 and p95, a window of the sorted
-- values (for the types' totals, every value, which the histogram counts). A
-- report then sorts only a window and the few reboots of its range's edges (the
-- part of its first day before the span, and the last hours) to get exact
-- percentiles (packages/fleet/src/reports/spans.ts). Writes to the records of any
-- of its days forget it, as they forget the day buckets; the span is filled under
-- the same advisory locks.
CREATE TABLE "ReportSpan" (
    "from" TIMESTAMP(3) NOT NULL,
    "to" TIMESTAMP(3) NOT NULL,
    "types" JSONB NOT NULL,
    "images" JSONB NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReportSpan_pkey" PRIMARY KEY ("from", "to")
);

CREATE TABLE "ReportSpanValues" (
    "id" BIGSERIAL NOT NULL,
    "from" TIMESTAMP(3) NOT NULL,
    "to" TIMESTAMP(3) NOT NULL,
    "dimension" TEXT NOT NULL,
    "key" TEXT,
    "rebootType" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    "max" DOUBLE PRECISION,
    "lo50" INTEGER NOT NULL,
    "w50" DOUBLE PRECISION[] NOT NULL,
    "lo95" INTEGER NOT NULL,
    "w95" DOUBLE PRECISION[] NOT NULL,
    "sorted" DOUBLE PRECISION[] NOT NULL,

    CONSTRAINT "ReportSpanValues_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ReportSpanValues_dimension_check" CHECK ("dimension" IN ('type', 'image', 'service')),
    CONSTRAINT "ReportSpanValues_span_fkey" FOREIGN KEY ("from", "to") REFERENCES "ReportSpan"("from", "to") ON DELETE CASCADE
);
CREATE INDEX "ReportSpanValues_span_idx" ON "ReportSpanValues"("from", "to", "dimension");

-- Read whole at every report: stored uncompressed, so reading them is a copy.
ALTER TABLE "ReportSpanValues" ALTER COLUMN "w50" SET STORAGE EXTERNAL, ALTER COLUMN "w95" SET STORAGE EXTERNAL,
  ALTER COLUMN "sorted" SET STORAGE EXTERNAL;

-- A write to the records of a day forgets its buckets and every span holding it.
CREATE OR REPLACE FUNCTION "ReportBucket_forget"(days int[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(20261127, d) FROM unnest(days) d ORDER BY d;
  DELETE FROM "ReportBucket" c
  USING (SELECT DISTINCT b, date_trunc(b, timestamp '1970-01-01' + d * interval '1 day') AS at
         FROM unnest(days) d CROSS JOIN unnest(ARRAY['day', 'week']) b) f
  WHERE c."bucket" = f.b AND c."at" = f.at;
  DELETE FROM "ReportSpan" s
  USING unnest(days) d
  WHERE s."from" <= timestamp '1970-01-01' + d * interval '1 day' AND s."to" > timestamp '1970-01-01' + d * interval '1 day';
END $$;

CREATE OR REPLACE FUNCTION "ReportBucket_on_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "ReportBucket";
  DELETE FROM "ReportSpan";
  RETURN NULL;
END $$;
