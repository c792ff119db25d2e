-- Stage commands: what to stage (version, url, sha256, bandwidth), how far the agent has got, and how it ended.
ALTER TABLE "NodeCommand" ADD COLUMN "payload" JSONB;
ALTER TABLE "NodeCommand" ADD COLUMN "progress" JSONB;
ALTER TABLE "NodeCommand" ADD COLUMN "result" JSONB;
