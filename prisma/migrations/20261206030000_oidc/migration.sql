-- Single sign-on (OpenID Connect): a user may be linked to one subject of one provider.
ALTER TABLE "User" ADD COLUMN "oidcIssuer" TEXT,
ADD COLUMN "oidcSubject" TEXT;

CREATE UNIQUE INDEX "User_oidcIssuer_oidcSubject_key" ON "User"("oidcIssuer", "oidcSubject");

-- A sign-in in progress, keyed by the SHA-256 of the browser's cookie: used once, for 10 minutes.
CREATE TABLE "OidcLoginAttempt" (
    "id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "nextPath" TEXT NOT NULL,
    "sourceIp" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OidcLoginAttempt_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "OidcLoginAttempt_expiresAt_idx" ON "OidcLoginAttempt"("expiresAt");
CREATE INDEX "OidcLoginAttempt_sourceIp_idx" ON "OidcLoginAttempt"("sourceIp");
