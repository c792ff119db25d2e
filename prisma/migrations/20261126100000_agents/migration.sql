-- AlterEnum
ALTER TYPE "NodeStatus" ADD VALUE 'rebooting';

-- CreateEnum
CREATE TYPE "CommandStatus" AS ENUM ('pending', 'sent', 'accepted', 'refused', 'expired');

-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "agentVersion" TEXT,
ADD COLUMN     "connectedAt" TIMESTAMP(3),
ADD COLUMN     "credentialHash" TEXT,
ADD COLUMN     "enrolledAt" TIMESTAMP(3),
ADD COLUMN     "nextrootImageVersion" TEXT,
ADD COLUMN     "nextrootStaged" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "revokedAt" TIMESTAMP(3),
ADD COLUMN     "units" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "EnrollmentToken" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "maxUses" INTEGER,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "EnrollmentToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NodeEvent" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "payload" JSONB NOT NULL,

    CONSTRAINT "NodeEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RebootRecord" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "requested" TEXT,
    "escalated" BOOLEAN NOT NULL,
    "beforeLost" BOOLEAN NOT NULL,
    "trigger" TEXT NOT NULL,
    "commandId" TEXT,
    "bootIdBefore" TEXT,
    "bootIdAfter" TEXT NOT NULL,
    "softRebootsCountBefore" INTEGER,
    "softRebootsCountAfter" INTEGER,
    "imageVersionBefore" TEXT,
    "imageVersionAfter" TEXT,
    "signalUsec" BIGINT,
    "shutdownStartUsec" BIGINT,
    "userspaceUsec" BIGINT,
    "finishUsec" BIGINT,
    "agentConnectedUsec" BIGINT NOT NULL,
    "units" JSONB NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RebootRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NodeCommand" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "requireNextroot" BOOLEAN NOT NULL DEFAULT false,
    "status" "CommandStatus" NOT NULL DEFAULT 'pending',
    "reason" TEXT,
    "requestedById" TEXT,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "answeredAt" TIMESTAMP(3),

    CONSTRAINT "NodeCommand_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentToken_tokenHash_key" ON "EnrollmentToken"("tokenHash");

-- CreateIndex
CREATE INDEX "NodeEvent_nodeId_receivedAt_idx" ON "NodeEvent"("nodeId", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RebootRecord_eventId_key" ON "RebootRecord"("eventId");

-- CreateIndex
CREATE INDEX "RebootRecord_nodeId_recordedAt_idx" ON "RebootRecord"("nodeId", "recordedAt");

-- CreateIndex
CREATE INDEX "NodeCommand_nodeId_status_idx" ON "NodeCommand"("nodeId", "status");

-- AddForeignKey
ALTER TABLE "NodeEvent" ADD CONSTRAINT "NodeEvent_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RebootRecord" ADD CONSTRAINT "RebootRecord_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NodeCommand" ADD CONSTRAINT "NodeCommand_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

