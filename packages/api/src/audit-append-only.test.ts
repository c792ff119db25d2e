import { createTestDatabase, type TestDatabase } from "@softfleet/stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe("the audit log", () => {
  it("is append-only in the database itself: no update, delete or truncate", async () => {
    const { cookie } = await signedInUser(t.db, "operator");
    const created = await apiClient(t.db).call("groups.create", { name: "audited" }, { cookie });
    expect(created.error).toBeUndefined();
    const entry = await t.db.auditEntry.findFirstOrThrow({ where: { action: "group.created" } });
    await expect(
      t.db.auditEntry.update({ where: { id: entry.id }, data: { actorName: "someone else" } }),
    ).rejects.toThrow(/append-only/);
    await expect(t.db.auditEntry.delete({ where: { id: entry.id } })).rejects.toThrow(/append-only/);
    await expect(t.db.$executeRawUnsafe(`TRUNCATE "AuditEntry"`)).rejects.toThrow(/append-only/);
    expect(await t.db.auditEntry.findUniqueOrThrow({ where: { id: entry.id } })).toEqual(entry);
  });

  it("keeps a deleted user's entries, with the name, when the database clears the link", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    await apiClient(t.db).call("groups.create", { name: `by-${user.username}` }, { cookie });
    const before = await t.db.auditEntry.count({ where: { actorUserId: user.id } });
    expect(before).toBeGreaterThan(0);
    await t.db.user.delete({ where: { id: user.id } });
    const kept = await t.db.auditEntry.findMany({ where: { actorName: user.username } });
    expect(kept.length).toBeGreaterThanOrEqual(before);
    expect(kept.every((entry) => entry.actorUserId === null)).toBe(true);
  });
});
