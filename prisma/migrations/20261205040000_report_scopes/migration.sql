-- Kept report facts for one group, beside the whole fleet's: day buckets and
-- spans gain a scope. '' is the whole fleet; a group's scope is its id and the
-- fingerprint of its nodes when the facts were computed (md5 of their sorted
-- ids), so a group whose members changed finds none of its old facts and
-- computes them again (packages/fleet/src/reports/scope.ts). Writes to a day's
-- records forget every scope's buckets and spans of that day, as before: the
-- forget function matches on the day alone.
ALTER TABLE "ReportBucket" ADD COLUMN "scope" TEXT NOT NULL DEFAULT '';
ALTER TABLE "ReportBucket" DROP CONSTRAINT "ReportBucket_pkey";
ALTER TABLE "ReportBucket" ADD CONSTRAINT "ReportBucket_pkey" PRIMARY KEY ("bucket", "at", "scope");

ALTER TABLE "ReportSpanValues" DROP CONSTRAINT "ReportSpanValues_span_fkey";
ALTER TABLE "ReportSpan" ADD COLUMN "scope" TEXT NOT NULL DEFAULT '';
ALTER TABLE "ReportSpan" DROP CONSTRAINT "ReportSpan_pkey";
ALTER TABLE "ReportSpan" ADD CONSTRAINT "ReportSpan_pkey" PRIMARY KEY ("from", "to", "scope");
ALTER TABLE "ReportSpanValues" ADD COLUMN "scope" TEXT NOT NULL DEFAULT '';
ALTER TABLE "ReportSpanValues" ADD CONSTRAINT "ReportSpanValues_span_fkey"
  FOREIGN KEY ("from", "to", "scope") REFERENCES "ReportSpan"("from", "to", "scope") ON DELETE CASCADE;
DROP INDEX "ReportSpanValues_span_idx";
CREATE INDEX "ReportSpanValues_span_idx" ON "ReportSpanValues"("from", "to", "scope", "dimension");

-- The whole fleet's span keeps each group's breakdown as well (dimension
-- 'group', keyed by the group's scope), and each group's counts per type
-- (groups: [{ scope, counts: [{ rebootType, reboots, beforeLost, escalated }] }]).
ALTER TABLE "ReportSpan" ADD COLUMN "groups" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "ReportSpanValues" DROP CONSTRAINT "ReportSpanValues_dimension_check";
ALTER TABLE "ReportSpanValues" ADD CONSTRAINT "ReportSpanValues_dimension_check"
  CHECK ("dimension" IN ('type', 'image', 'service', 'group'));
