-- The node's Podman containers (live on the node, and before and after each reboot) and portable images.
ALTER TABLE "Node" ADD COLUMN "containers" JSONB;
ALTER TABLE "Node" ADD COLUMN "portables" JSONB;
ALTER TABLE "RebootRecord" ADD COLUMN "containers" JSONB;
