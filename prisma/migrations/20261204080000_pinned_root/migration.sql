-- Old roots still held after soft-reboots into new images: live on the node, and found after each soft-reboot.
ALTER TABLE "Node" ADD COLUMN "pinnedRoot" JSONB;
ALTER TABLE "RebootRecord" ADD COLUMN "pinnedRoot" JSONB;
