import { createPrismaClient } from "@softfleet/db";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe("the audit log", () => {
  it("is append-only for the apps' role (privileges) and for the owner too (a trigger)", async () => {
    const { cookie } = await signedInUser(t.db, "operator");
    const created = await apiClient(t.db).call("groups.create", { name: "audited" }, { cookie });
    expect(created.error).toBeUndefined();
    const entry = await t.db.auditEntry.findFirstOrThrow({ where: { action: "group.created" } });
    const owner = createPrismaClient(t.ownerUrl);
    try {
      for (const [db, refusal] of [
        [t.db, /permission denied/],
        [owner, /append-only/],
      ] as const) {
        await expect(
          db.auditEntry.update({ where: { id: entry.id }, data: { actorName: "someone else" } }),
        ).rejects.toThrow(refusal);
        await expect(db.auditEntry.delete({ where: { id: entry.id } })).rejects.toThrow(refusal);
        await expect(db.$executeRawUnsafe(`TRUNCATE "AuditEntry"`)).rejects.toThrow(refusal);
      }
    } finally {
      await owner.$disconnect();
    }
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
