-- A rollout step looks up the first reboot record answering each in-flight command
-- (WHERE "commandId" = $1 ORDER BY "recordedAt" LIMIT 1). With an index on "commandId"
-- alone, Postgres sometimes walked the recordedAt index instead, filtering thousands of
-- rows per node; this index answers that lookup directly.
DROP INDEX "RebootRecord_commandId_idx";
CREATE INDEX "RebootRecord_commandId_recordedAt_idx" ON "RebootRecord"("commandId", "recordedAt");
