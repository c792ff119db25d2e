-- The audit log is append-only: no UPDATE, DELETE or TRUNCATE of its rows,
-- whoever asks (a bug, an injected statement, the app's own role). The one
-- change allowed is the database's own: clearing the link to a deleted user
-- (ON DELETE SET NULL), which keeps the entry and the actor's name.
CREATE FUNCTION softfleet_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW."actorUserId" IS NULL AND OLD."actorUserId" IS NOT NULL
     AND (NEW.id, NEW.at, NEW."actorType", NEW."actorName", NEW.action) = (OLD.id, OLD.at, OLD."actorType", OLD."actorName", OLD.action)
     AND NEW."targetType" IS NOT DISTINCT FROM OLD."targetType" AND NEW."targetId" IS NOT DISTINCT FROM OLD."targetId"
     AND NEW."targetName" IS NOT DISTINCT FROM OLD."targetName" AND NEW.details IS NOT DISTINCT FROM OLD.details
     AND NEW."sourceIp" IS NOT DISTINCT FROM OLD."sourceIp" THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only: % of "AuditEntry" refused', TG_OP USING ERRCODE = '42501';
END;
$$;

CREATE TRIGGER "AuditEntry_append_only" BEFORE UPDATE OR DELETE ON "AuditEntry"
  FOR EACH ROW EXECUTE FUNCTION softfleet_audit_append_only();
CREATE TRIGGER "AuditEntry_no_truncate" BEFORE TRUNCATE ON "AuditEntry"
  FOR EACH STATEMENT EXECUTE FUNCTION softfleet_audit_append_only();
