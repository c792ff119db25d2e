-- Control's certificate fingerprint, for Settings to show with the enrollment command.
CREATE TABLE "ControlTls" (
    "id" TEXT NOT NULL DEFAULT 'control',
    "fingerprint" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ControlTls_pkey" PRIMARY KEY ("id")
);
