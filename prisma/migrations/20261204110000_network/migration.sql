-- The links systemd-networkd manages on each node (live), and before and after each reboot.
ALTER TABLE "Node" ADD COLUMN "network" JSONB;
ALTER TABLE "RebootRecord" ADD COLUMN "network" JSONB;
