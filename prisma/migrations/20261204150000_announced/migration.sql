-- What logind's shutdown signal announced, apart from what was asked of it (RebootRecord.requested):
-- `systemctl reboot` with a new root at /run/nextroot asks for a reboot that logind announces as a soft-reboot.
ALTER TABLE "RebootRecord" ADD COLUMN "announced" TEXT;
