-- Counts the writes of a rollout's node statuses: an engine step that finds it unchanged reuses the
-- statuses it kept instead of reading 10,000 of them again.
ALTER TABLE "Rollout" ADD COLUMN "revision" INTEGER NOT NULL DEFAULT 0;
