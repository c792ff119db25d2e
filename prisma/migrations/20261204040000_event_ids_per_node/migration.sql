-- Event ids are the agents' own: unique per node. As a global key, one node
-- could take another's id first and have that node's event dropped as a duplicate.
ALTER TABLE "NodeEvent" DROP CONSTRAINT "NodeEvent_pkey";
ALTER TABLE "NodeEvent" ADD CONSTRAINT "NodeEvent_pkey" PRIMARY KEY ("nodeId", "id");

DROP INDEX "RebootRecord_eventId_key";
CREATE UNIQUE INDEX "RebootRecord_nodeId_eventId_key" ON "RebootRecord"("nodeId", "eventId");
