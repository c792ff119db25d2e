-- Live streams end with their session. Every path that ends sessions (logout,
-- a password change, an admin disabling a user, the user CLI, the purge) deletes
-- rows, and disabling or changing a user updates it: these triggers tell every
-- web process, once per user and statement, so its open streams re-check theirs.
CREATE FUNCTION softfleet_notify_sessions_ended() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gone RECORD;
BEGIN
  FOR gone IN SELECT DISTINCT "userId" FROM ended_sessions LOOP
    PERFORM pg_notify('softfleet_changes', json_build_object('entity', 'user', 'id', gone."userId", 'what', 'sessions')::text);
  END LOOP;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Session_ended_notify" AFTER DELETE ON "Session"
  REFERENCING OLD TABLE AS ended_sessions
  FOR EACH STATEMENT EXECUTE FUNCTION softfleet_notify_sessions_ended();

CREATE FUNCTION softfleet_notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('softfleet_changes', json_build_object('entity', 'user', 'id', NEW.id, 'what', 'sessions')::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "User_changed_notify" AFTER UPDATE OF "disabledAt", "role", "passwordHash" ON "User"
  FOR EACH ROW WHEN (OLD."disabledAt" IS DISTINCT FROM NEW."disabledAt"
    OR OLD.role IS DISTINCT FROM NEW.role OR OLD."passwordHash" IS DISTINCT FROM NEW."passwordHash")
  EXECUTE FUNCTION softfleet_notify_user_changed();
