-- The escalated records (about 1 in 100), newest first: a report's last 50
-- escalations. Read backward, filtered by a group's nodes, it finds one group's
-- 50 in a few hundred index entries; without it, a group's report read every
-- record of its nodes in the range by per-node probes and heap fetches (cold:
-- 20,000 pages, 0.9 s, for a group of 1,000 nodes over 90 days).
CREATE INDEX "RebootRecord_escalations_idx" ON "RebootRecord" ("recordedAt", "id", "nodeId") WHERE "escalated";
