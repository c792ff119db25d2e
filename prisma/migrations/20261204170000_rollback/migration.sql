-- Automatic rollback: the image a node ran before its reboot, the one a rollback returns it to, and two statuses.
ALTER TABLE "RolloutNode" ADD COLUMN "imageVersionBefore" TEXT;
ALTER TABLE "RolloutNode" ADD COLUMN "rollbackVersion" TEXT;
ALTER TABLE "RolloutNode" DROP CONSTRAINT "RolloutNode_status_check";
ALTER TABLE "RolloutNode" ADD CONSTRAINT "RolloutNode_status_check"
  CHECK (status IN ('pending', 'staging', 'staged', 'rebooting', 'rolling-back', 'succeeded', 'failed', 'rolled-back',
    'skipped', 'cancelled'));
