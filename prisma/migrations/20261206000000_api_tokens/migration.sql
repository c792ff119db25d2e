-- Personal API tokens: the CLI and pipelines act as their user, with at most the token's role.
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),
    "lastUsedIp" TEXT,
    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");
CREATE INDEX "ApiToken_userId_createdAt_idx" ON "ApiToken"("userId", "createdAt");
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- An audited change made through a token says so ("token <name>").
ALTER TABLE "AuditEntry" ADD COLUMN "via" TEXT;

-- A revoked or deleted token ends the live streams opened with it, as an ended session does.
CREATE FUNCTION softfleet_notify_user_changed_by_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('softfleet_changes', json_build_object('entity', 'user', 'id', COALESCE(NEW."userId", OLD."userId"), 'what', 'sessions')::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "ApiToken_revoked_notify" AFTER UPDATE OF "revokedAt" ON "ApiToken"
  FOR EACH ROW WHEN (OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt")
  EXECUTE FUNCTION softfleet_notify_user_changed_by_token();

CREATE TRIGGER "ApiToken_deleted_notify" AFTER DELETE ON "ApiToken"
  FOR EACH ROW EXECUTE FUNCTION softfleet_notify_user_changed_by_token();
