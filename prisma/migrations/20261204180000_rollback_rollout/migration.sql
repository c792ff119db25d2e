-- A manual rollback is a rollout of its own that returns another rollout's updated nodes to their previous images.
ALTER TABLE "Rollout" ADD COLUMN "rollbackOfId" TEXT;
ALTER TABLE "Rollout" ADD CONSTRAINT "Rollout_rollbackOfId_fkey" FOREIGN KEY ("rollbackOfId") REFERENCES "Rollout"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "Rollout_rollbackOfId_idx" ON "Rollout"("rollbackOfId");
