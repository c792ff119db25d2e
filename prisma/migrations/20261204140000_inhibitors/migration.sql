-- logind's inhibitor locks on each node (live), the operator's override per command and per rollout node,
-- and when block inhibitors started holding a pending rollout node.
ALTER TABLE "Node" ADD COLUMN "inhibitors" JSONB;
ALTER TABLE "NodeCommand" ADD COLUMN "skipInhibitors" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "RolloutNode" ADD COLUMN "blockedSince" TIMESTAMP(3);
ALTER TABLE "RolloutNode" ADD COLUMN "blockedBy" TEXT;
ALTER TABLE "RolloutNode" ADD COLUMN "skipInhibitors" BOOLEAN NOT NULL DEFAULT false;
