-- Stage commands: what to stage (version, url, sha256, bandwidth), how far the agent has got, and how it ended.
ALTER TABLE "NodeCommand" ADD COLUMN "payload" JSONB;
ALTER TABLE "NodeCommand" ADD COLUMN "progress" JSONB;
ALTER TABLE "NodeCommand" ADD COLUMN "result" JSONB;

-- A rollout node may now be staging its image, or staged and waiting for its reboot.
ALTER TABLE "RolloutNode" DROP CONSTRAINT "RolloutNode_status_check";
ALTER TABLE "RolloutNode" ADD CONSTRAINT "RolloutNode_status_check"
  CHECK (status IN ('pending', 'staging', 'staged', 'rebooting', 'succeeded', 'failed', 'skipped', 'cancelled'));
