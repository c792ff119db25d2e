-- AlterTable
ALTER TABLE "NodeCommand" ADD COLUMN     "requestedByName" TEXT,
ADD COLUMN     "rolloutId" TEXT;

-- AlterTable
ALTER TABLE "NodeGroup" ADD COLUMN     "labelSelector" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL,
    "groupId" TEXT,
    "groupName" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "plan" JSONB NOT NULL,
    "approvedAt" TIMESTAMP(3),
    "failuresAcknowledged" INTEGER NOT NULL DEFAULT 0,
    "statusReason" TEXT,
    "createdById" TEXT,
    "createdByName" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "wakeAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutBatch" (
    "rolloutId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RolloutBatch_pkey" PRIMARY KEY ("rolloutId","index")
);

-- CreateTable
CREATE TABLE "RolloutNode" (
    "rolloutId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "batchIndex" INTEGER NOT NULL,
    "hostname" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "rebootStartedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "commandId" TEXT,
    "bootIdBefore" TEXT,
    "softRebootsCountBefore" INTEGER,
    "active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "RolloutNode_pkey" PRIMARY KEY ("rolloutId","nodeId")
);

-- CreateTable
CREATE TABLE "RolloutTransition" (
    "id" BIGSERIAL NOT NULL,
    "rolloutId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "machine" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "subjectName" TEXT NOT NULL,
    "from" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "actorType" "ActorType" NOT NULL,
    "actorUserId" TEXT,
    "actorName" TEXT NOT NULL,

    CONSTRAINT "RolloutTransition_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Rollout_status_idx" ON "Rollout"("status");

-- CreateIndex
CREATE INDEX "Rollout_createdAt_idx" ON "Rollout"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutNode_commandId_key" ON "RolloutNode"("commandId");

-- CreateIndex
CREATE INDEX "RolloutNode_rolloutId_position_idx" ON "RolloutNode"("rolloutId", "position");

-- CreateIndex
CREATE INDEX "RolloutNode_nodeId_idx" ON "RolloutNode"("nodeId");

-- CreateIndex
CREATE INDEX "RolloutTransition_rolloutId_id_idx" ON "RolloutTransition"("rolloutId", "id");

-- CreateIndex
CREATE INDEX "RebootRecord_commandId_idx" ON "RebootRecord"("commandId");

-- AddForeignKey
ALTER TABLE "Rollout" ADD CONSTRAINT "Rollout_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "NodeGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutBatch" ADD CONSTRAINT "RolloutBatch_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutNode" ADD CONSTRAINT "RolloutNode_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutNode" ADD CONSTRAINT "RolloutNode_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutTransition" ADD CONSTRAINT "RolloutTransition_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- A node is in at most one active rollout: two rollouts never reboot the same node.
CREATE UNIQUE INDEX "RolloutNode_one_active_rollout" ON "RolloutNode"("nodeId") WHERE "active";

-- The state machines' states (@softfleet/rollout): nothing else may be stored.
ALTER TABLE "Rollout" ADD CONSTRAINT "Rollout_status_check"
  CHECK (status IN ('running', 'paused', 'awaiting-approval', 'halted', 'completed', 'aborted'));
ALTER TABLE "RolloutBatch" ADD CONSTRAINT "RolloutBatch_status_check"
  CHECK (status IN ('pending', 'running', 'settling', 'done', 'cancelled'));
ALTER TABLE "RolloutNode" ADD CONSTRAINT "RolloutNode_status_check"
  CHECK (status IN ('pending', 'rebooting', 'succeeded', 'failed', 'skipped', 'cancelled'));
