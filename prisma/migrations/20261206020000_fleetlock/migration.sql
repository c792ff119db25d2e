-- FleetLock (Zincati / Fedora CoreOS reboot coordination): a node group's lock settings and the slots its clients hold.
CREATE TABLE "FleetLockGroup" (
    "groupId" TEXT NOT NULL,
    "lockGroup" TEXT NOT NULL,
    "maxUnavailable" INTEGER NOT NULL DEFAULT 1,
    "secretHash" TEXT,
    "enabledAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FleetLockGroup_pkey" PRIMARY KEY ("groupId")
);

CREATE TABLE "FleetLockHold" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "nodeId" TEXT,
    "lockedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" TIMESTAMP(3),
    "releasedBy" TEXT,
    "sourceIp" TEXT,

    CONSTRAINT "FleetLockHold_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "FleetLockGroup_lockGroup_key" ON "FleetLockGroup"("lockGroup");
CREATE UNIQUE INDEX "FleetLockGroup_secretHash_key" ON "FleetLockGroup"("secretHash");
CREATE INDEX "FleetLockHold_groupId_lockedAt_idx" ON "FleetLockHold"("groupId", "lockedAt");
CREATE INDEX "FleetLockHold_nodeId_lockedAt_idx" ON "FleetLockHold"("nodeId", "lockedAt");
-- A client holds at most one slot of a group at a time (the protocol's locks are recursive).
CREATE UNIQUE INDEX "FleetLockHold_active_key" ON "FleetLockHold"("groupId", "clientId") WHERE "releasedAt" IS NULL;

ALTER TABLE "FleetLockGroup" ADD CONSTRAINT "FleetLockGroup_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "NodeGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "FleetLockHold" ADD CONSTRAINT "FleetLockHold_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "NodeGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "FleetLockHold" ADD CONSTRAINT "FleetLockHold_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE SET NULL ON UPDATE CASCADE;
