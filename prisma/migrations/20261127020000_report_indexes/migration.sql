-- Reports read reboot records by time range (fleet and group reports).
CREATE INDEX "RebootRecord_recordedAt_idx" ON "RebootRecord"("recordedAt");
