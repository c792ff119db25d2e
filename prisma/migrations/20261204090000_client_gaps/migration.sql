-- What each payload's clients saw through a reboot, from the prober on the node.
ALTER TABLE "RebootRecord" ADD COLUMN "clientGaps" JSONB;
