import { takeSlot } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let operator: string;
let viewer: string;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  operator = (await signedInUser(t.db, "operator", "the-operator")).cookie;
  viewer = (await signedInUser(t.db, "viewer", "the-viewer")).cookie;
});
afterAll(() => t.drop());

describe("FleetLock on a node group", () => {
  it("is enabled by an operator, who sees the secret once; holders show; every change is audited", async () => {
    const group = await t.db.nodeGroup.create({ data: { name: "coreos" } });
    const refused = await api.call(
      "fleetLock.enable",
      { groupId: group.id, lockGroup: "default", maxUnavailable: 1 },
      { cookie: viewer },
    );
    expect(refused.error?.data.code).toBe("FORBIDDEN");

    const enabled = await api.call(
      "fleetLock.enable",
      { groupId: group.id, lockGroup: "default", maxUnavailable: 2 },
      { cookie: operator },
    );
    const { basePath } = enabled.data as { basePath: string };
    expect(basePath).toMatch(/^\/fleetlock\/[A-Za-z0-9_-]{43}\/$/);
    const secret = basePath.split("/")[2]!;
    await takeSlot(t.db, {
      secret,
      request: { client_params: { id: "zincati-1", group: "default" } },
      sourceIp: "127.0.0.1",
    });

    const view = (await api.call("fleetLock.group", { groupId: group.id }, { cookie: viewer })).data as Record<
      string,
      unknown
    >;
    expect(view).toMatchObject({ enabled: true, lockGroup: "default", maxUnavailable: 2, history: [] });
    expect(view.holders).toEqual([expect.objectContaining({ clientId: "zincati-1", releasedAt: null })]);
    expect(JSON.stringify(view)).not.toContain(secret);

    const rotated = (await api.call("fleetLock.rotate", { groupId: group.id }, { cookie: operator })).data as {
      basePath: string;
    };
    expect(rotated.basePath).not.toBe(basePath);
    expect(
      (
        await api.call(
          "fleetLock.update",
          { groupId: group.id, lockGroup: "workers", maxUnavailable: 1 },
          { cookie: operator },
        )
      ).error,
    ).toBeUndefined();
    const disabled = await api.call("fleetLock.disable", { groupId: group.id }, { cookie: operator });
    expect(disabled.data).toEqual({ released: 1 });
    const after = (await api.call("fleetLock.group", { groupId: group.id }, { cookie: viewer })).data as Record<
      string,
      unknown
    >;
    expect(after).toMatchObject({
      enabled: false,
      holders: [],
      history: [expect.objectContaining({ releasedBy: "disabled" })],
    });

    const audit = await t.db.auditEntry.findMany({ where: { targetId: group.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.actorName])).toEqual([
      ["fleetlock.enabled", "the-operator"],
      ["fleetlock.locked", "fleetlock:zincati-1"],
      ["fleetlock.secret_rotated", "the-operator"],
      ["fleetlock.updated", "the-operator"],
      ["fleetlock.disabled", "the-operator"],
    ]);
    expect(JSON.stringify(audit.map((a) => a.details))).not.toContain(secret);
  });

  it("lets an operator release a slot its client never gave back, once, audited", async () => {
    const group = await t.db.nodeGroup.create({ data: { name: "coreos-stuck" } });
    const enabled = await api.call(
      "fleetLock.enable",
      { groupId: group.id, lockGroup: "stuck", maxUnavailable: 1 },
      { cookie: operator },
    );
    const secret = (enabled.data as { basePath: string }).basePath.split("/")[2]!;
    const call = (id: string) => ({ secret, request: { client_params: { id, group: "stuck" } }, sourceIp: "::1" });
    await takeSlot(t.db, call("died-mid-update"));
    // The one slot is held: the next client is refused until it is released.
    await expect(takeSlot(t.db, call("next"))).rejects.toMatchObject({ kind: "failed_lock_semaphore_full" });
    const hold = await t.db.fleetLockHold.findFirstOrThrow({ where: { groupId: group.id, releasedAt: null } });

    const refused = await api.call("fleetLock.release", { holdId: hold.id }, { cookie: viewer });
    expect(refused.error?.data.code).toBe("FORBIDDEN");
    const released = await api.call("fleetLock.release", { holdId: hold.id }, { cookie: operator });
    expect(released.data).toEqual({ ok: true });
    expect(await takeSlot(t.db, call("next"))).toMatchObject({ outcome: "granted" });

    const again = await api.call("fleetLock.release", { holdId: hold.id }, { cookie: operator });
    expect(again.error?.data.code).toBe("CONFLICT");
    expect(again.error?.message).toMatch(
      /^FleetLock slot of client "died-mid-update" was already released \(operator at /,
    );
    const missing = await api.call("fleetLock.release", { holdId: "no-such-hold" }, { cookie: operator });
    expect(missing.error?.message).toBe("FleetLock slot no-such-hold not found");

    const audit = await t.db.auditEntry.findMany({
      where: { targetId: group.id, action: "fleetlock.released_by_operator" },
    });
    expect(audit).toEqual([
      expect.objectContaining({
        actorName: "the-operator",
        details: expect.objectContaining({ holdId: hold.id, clientId: "died-mid-update" }),
      }),
    ]);
  });

  it("says what was wrong with a bad setting or an unknown group, changing nothing", async () => {
    const group = await t.db.nodeGroup.create({ data: { name: "coreos-2" } });
    const bad = await api.call(
      "fleetLock.enable",
      { groupId: group.id, lockGroup: "has space", maxUnavailable: 0 },
      { cookie: operator },
    );
    expect(bad.error?.message).toBe(
      "Invalid input: lockGroup: may hold only letters, digits, '.' and '-' (the FleetLock spec's rule); maxUnavailable: must be at least 1",
    );
    const unknown = await api.call(
      "fleetLock.enable",
      { groupId: "no-such-group", lockGroup: "x", maxUnavailable: 1 },
      { cookie: operator },
    );
    expect(unknown.error?.message).toBe("Group no-such-group does not exist");
    const notOn = await api.call("fleetLock.rotate", { groupId: group.id }, { cookie: operator });
    expect(notOn.error?.message).toBe('FleetLock is not enabled on group "coreos-2"');
    expect(await t.db.fleetLockGroup.count({ where: { groupId: group.id } })).toBe(0);
    expect(await t.db.auditEntry.count({ where: { targetId: group.id } })).toBe(0);
  });
});
