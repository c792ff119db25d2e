-- An existing machine id is re-keyed only with its current credential or after an admin allowed it (one use, expires).
ALTER TABLE "Node" ADD COLUMN "reenrollAllowedUntil" TIMESTAMP(3);
ALTER TABLE "Node" ADD COLUMN "enrollmentLabels" JSONB NOT NULL DEFAULT '{}';

-- Tokens may be limited to a hostname pattern and may apply labels.
ALTER TABLE "EnrollmentToken" ADD COLUMN "hostnamePattern" TEXT;
ALTER TABLE "EnrollmentToken" ADD COLUMN "labels" JSONB NOT NULL DEFAULT '{}';
