-- Why a reboot was slow: the units slowest to stop in its shutdown and to start after it.
ALTER TABLE "RebootRecord" ADD COLUMN "blame" JSONB;
