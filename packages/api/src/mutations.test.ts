import type { Role } from "@softfleet/db";
import { createRollout } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, procedures, signedInUser, TEST_PASSWORD } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let admin: Awaited<ReturnType<typeof signedInUser>>;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  admin = await signedInUser(t.db, "admin", "the-admin");
});
afterAll(() => t.drop());

const unique = () => Math.random().toString(36).slice(2, 8);
const newGroup = () => t.db.nodeGroup.create({ data: { name: `group-${unique()}` } });
const newNode = (data: { status?: "online" | "offline"; nextrootStaged?: boolean } = {}) =>
  t.db.node.create({ data: { machineId: unique().padEnd(32, "0"), hostname: `node-${unique()}`, ...data } });
const groupOfNodes = async (count: number) => {
  const group = await newGroup();
  for (let i = 0; i < count; i++) {
    const node = await newNode({ status: "online" });
    await t.db.nodeGroupMember.create({ data: { groupId: group.id, nodeId: node.id } });
  }
  return group;
};
/** A rollout of a new group of `count` nodes, without a canary, started by the admin. */
const newRollout = async (count: number) => {
  const group = await groupOfNodes(count);
  const user = { id: admin.user.id, name: "the-admin" };
  const { rollout } = await t.db.$transaction((tx) =>
    createRollout(tx, { groupId: group.id, plan: { canary: null }, user }),
  );
  return rollout;
};
const newToken = () =>
  t.db.enrollmentToken.create({
    data: { tokenHash: unique().padEnd(64, "0"), label: "t", expiresAt: new Date(Date.now() + 3_600_000) },
  });
const newWebhook = () =>
  t.db.webhookEndpoint.create({
    data: {
      name: "hook",
      url: "https://hooks.example.com/",
      format: "json",
      events: ["node.offline"],
      secret: "s",
      createdByName: "a",
    },
  });
/** A group with FleetLock on. */
const fleetLockGroup = async () => {
  const group = await newGroup();
  await t.db.fleetLockGroup.create({
    data: {
      groupId: group.id,
      lockGroup: `lg-${unique()}`,
      secretHash: unique().padEnd(64, "0"),
      enabledAt: new Date(),
    },
  });
  return group;
};
const newUser = async (role: Role = "viewer") => (await signedInUser(t.db, role)).user;

interface Call {
  input?: unknown;
  /** The session to call with; the admin's by default, none for "public". */
  cookie?: string | "public";
}

interface MutationCase {
  valid(): Promise<Call>;
  /** An input with one bad field, and that field's name; null where the mutation takes no input. */
  invalid: null | (() => Promise<{ input: unknown; field: string }>);
}

const cases: Record<string, MutationCase> = {
  "auth.login": {
    async valid() {
      const user = await newUser();
      return { input: { username: user.username, password: TEST_PASSWORD }, cookie: "public" };
    },
    invalid: async () => ({ input: { username: "", password: "x" }, field: "username" }),
  },
  "auth.logout": {
    valid: async () => ({ cookie: (await signedInUser(t.db, "viewer")).cookie }),
    invalid: null,
  },
  "auth.changePassword": {
    async valid() {
      const { cookie } = await signedInUser(t.db, "viewer");
      return { input: { currentPassword: TEST_PASSWORD, newPassword: "a brand new passphrase" }, cookie };
    },
    invalid: async () => ({ input: { currentPassword: TEST_PASSWORD, newPassword: "short" }, field: "newPassword" }),
  },
  "users.create": {
    valid: async () => ({
      input: { username: `u-${unique()}`, displayName: "New user", password: "long enough password", role: "operator" },
    }),
    invalid: async () => ({
      input: { username: `u-${unique()}`, displayName: "New user", password: "long enough password", role: "root" },
      field: "role",
    }),
  },
  "users.setRole": {
    valid: async () => ({ input: { userId: (await newUser()).id, role: "operator" } }),
    invalid: async () => ({ input: { userId: (await newUser()).id, role: "superuser" }, field: "role" }),
  },
  "users.setDisabled": {
    valid: async () => ({ input: { userId: (await newUser()).id, disabled: true } }),
    invalid: async () => ({ input: { userId: (await newUser()).id, disabled: "yes" }, field: "disabled" }),
  },
  "users.resetPassword": {
    valid: async () => ({ input: { userId: (await newUser()).id, password: "a reset passphrase" } }),
    invalid: async () => ({ input: { userId: (await newUser()).id, password: "123" }, field: "password" }),
  },
  "users.delete": {
    valid: async () => ({ input: { userId: (await newUser()).id } }),
    invalid: async () => ({ input: { userId: "" }, field: "userId" }),
  },
  "groups.create": {
    valid: async () => ({ input: { name: `web ${unique()}`, description: "front ends" } }),
    invalid: async () => ({ input: { name: "" }, field: "name" }),
  },
  "groups.rename": {
    valid: async () => ({ input: { groupId: (await newGroup()).id, name: `renamed-${unique()}` } }),
    invalid: async () => ({ input: { groupId: (await newGroup()).id, name: "!!bad" }, field: "name" }),
  },
  "groups.setDescription": {
    valid: async () => ({ input: { groupId: (await newGroup()).id, description: "the canaries" } }),
    invalid: async () => ({
      input: { groupId: (await newGroup()).id, description: "x".repeat(501) },
      field: "description",
    }),
  },
  "groups.delete": {
    valid: async () => ({ input: { groupId: (await newGroup()).id } }),
    invalid: async () => ({ input: { groupId: 42 }, field: "groupId" }),
  },
  "groups.addMembers": {
    valid: async () => ({ input: { groupId: (await newGroup()).id, nodeIds: [(await newNode()).id] } }),
    invalid: async () => ({ input: { groupId: (await newGroup()).id, nodeIds: [] }, field: "nodeIds" }),
  },
  "enrollment.create": {
    valid: async () => ({ input: { label: "rack 12", ttlHours: 24, maxUses: 10 } }),
    invalid: async () => ({ input: { label: "rack 12", ttlHours: 0, maxUses: null }, field: "ttlHours" }),
  },
  "enrollment.revoke": {
    valid: async () => ({ input: { tokenId: (await newToken()).id } }),
    invalid: async () => ({ input: { tokenId: "" }, field: "tokenId" }),
  },
  "nodes.softReboot": {
    valid: async () => ({
      input: { nodeId: (await newNode({ status: "online", nextrootStaged: true })).id, requireNextroot: true },
    }),
    invalid: async () => ({
      input: { nodeId: (await newNode({ status: "online" })).id, requireNextroot: "yes" },
      field: "requireNextroot",
    }),
  },
  "groups.setLabelSelector": {
    valid: async () => ({ input: { groupId: (await newGroup()).id, labelSelector: { zone: "zone-a" } } }),
    invalid: async () => ({
      input: { groupId: (await newGroup()).id, labelSelector: { "bad key!": "x" } },
      field: "labelSelector.bad key!",
    }),
  },
  "rollouts.create": {
    valid: async () => ({
      input: {
        groupId: (await groupOfNodes(2)).id,
        plan: { canary: null, batch: { size: 1 }, maxUnavailable: 1, settleSec: 0 },
      },
    }),
    invalid: async () => ({
      input: { groupId: (await groupOfNodes(2)).id, plan: { maxUnavailable: 5 } },
      field: "maxUnavailable",
    }),
  },
  "rollouts.act": {
    async valid() {
      const rollout = await newRollout(2);
      return { input: { id: rollout.id, action: "pause" } };
    },
    invalid: async () => ({ input: { id: "r", action: "explode" }, field: "action" }),
  },
  "rollouts.skipInhibitors": {
    async valid() {
      const rollout = await newRollout(1);
      const [node] = await t.db.rolloutNode.findMany({ where: { rolloutId: rollout.id } });
      return { input: { id: rollout.id, nodeId: node!.nodeId } };
    },
    invalid: async () => ({ input: { id: "r", nodeId: "" }, field: "nodeId" }),
  },
  "rollouts.rollBack": {
    async valid() {
      // A completed rollout that moved its node from image 1 to 2.
      const rollout = await newRollout(1);
      await t.db.rollout.update({ where: { id: rollout.id }, data: { status: "completed", finishedAt: new Date() } });
      const node = await t.db.rolloutNode.findFirstOrThrow({ where: { rolloutId: rollout.id } });
      await t.db.rolloutNode.update({
        where: { rolloutId_nodeId: { rolloutId: rollout.id, nodeId: node.nodeId } },
        data: { status: "succeeded", imageVersionBefore: "1", active: false },
      });
      await t.db.node.update({ where: { id: node.nodeId }, data: { imageVersion: "2" } });
      return { input: { id: rollout.id } };
    },
    invalid: async () => ({ input: { id: "" }, field: "id" }),
  },
  "nodes.revoke": {
    valid: async () => ({ input: { nodeId: (await newNode()).id } }),
    invalid: async () => ({ input: { nodeId: 7 }, field: "nodeId" }),
  },
  "nodes.allowReenrollment": {
    valid: async () => ({ input: { nodeId: (await newNode()).id, minutes: 30 } }),
    invalid: async () => ({ input: { nodeId: (await newNode()).id, minutes: 100_000 }, field: "minutes" }),
  },
  "nodes.delete": {
    valid: async () => ({ input: { nodeId: (await newNode()).id } }),
    invalid: async () => ({ input: {}, field: "nodeId" }),
  },
  "groups.removeMembers": {
    async valid() {
      const group = await newGroup();
      const node = await newNode();
      await t.db.nodeGroupMember.create({ data: { groupId: group.id, nodeId: node.id } });
      return { input: { groupId: group.id, nodeIds: [node.id] } };
    },
    invalid: async () => ({ input: { groupId: (await newGroup()).id, nodeIds: "node-1" }, field: "nodeIds" }),
  },
  "tokens.create": {
    valid: async () => ({ input: { name: `cli ${unique()}`, role: "viewer", expiresInDays: 30 } }),
    invalid: async () => ({ input: { name: "cli", role: "viewer", expiresInDays: 0 }, field: "expiresInDays" }),
  },
  "tokens.revoke": {
    async valid() {
      const token = await t.db.apiToken.create({
        data: {
          userId: admin.user.id,
          name: `t ${unique()}`,
          tokenHash: unique().padEnd(64, "0"),
          prefix: "sfp_x",
          role: "viewer",
          expiresAt: new Date(Date.now() + 86_400_000),
        },
      });
      return { input: { id: token.id } };
    },
    invalid: async () => ({ input: { id: "" }, field: "id" }),
  },
  "fleetLock.enable": {
    valid: async () => ({ input: { groupId: (await newGroup()).id, lockGroup: `lg-${unique()}`, maxUnavailable: 1 } }),
    invalid: async () => ({
      input: { groupId: (await newGroup()).id, lockGroup: "no spaces", maxUnavailable: 1 },
      field: "lockGroup",
    }),
  },
  "fleetLock.update": {
    valid: async () => ({
      input: { groupId: (await fleetLockGroup()).id, lockGroup: `lg-${unique()}`, maxUnavailable: 2 },
    }),
    invalid: async () => ({
      input: { groupId: (await fleetLockGroup()).id, lockGroup: `lg-${unique()}`, maxUnavailable: 0 },
      field: "maxUnavailable",
    }),
  },
  "fleetLock.rotate": {
    valid: async () => ({ input: { groupId: (await fleetLockGroup()).id } }),
    invalid: async () => ({ input: { groupId: 7 }, field: "groupId" }),
  },
  "fleetLock.disable": {
    valid: async () => ({ input: { groupId: (await fleetLockGroup()).id } }),
    invalid: async () => ({ input: {}, field: "groupId" }),
  },
  "fleetLock.release": {
    valid: async () => {
      const group = await fleetLockGroup();
      const hold = await t.db.fleetLockHold.create({ data: { groupId: group.id, clientId: `c-${unique()}` } });
      return { input: { holdId: hold.id } };
    },
    invalid: async () => ({ input: { holdId: null }, field: "holdId" }),
  },
  "webhooks.create": {
    valid: async () => ({
      input: { name: `hook ${unique()}`, url: "https://hooks.example.com/x", events: ["rollout.halted"] },
    }),
    invalid: async () => ({
      input: { name: "hook", url: "ftp://hooks.example.com/x", events: ["rollout.halted"] },
      field: "url",
    }),
  },
  "webhooks.update": {
    valid: async () => ({ input: { endpointId: (await newWebhook()).id, enabled: false } }),
    invalid: async () => ({ input: { endpointId: (await newWebhook()).id, events: [] }, field: "events" }),
  },
  "webhooks.rotateSecret": {
    valid: async () => ({ input: { endpointId: (await newWebhook()).id } }),
    invalid: async () => ({ input: { endpointId: "" }, field: "endpointId" }),
  },
  "webhooks.delete": {
    valid: async () => ({ input: { endpointId: (await newWebhook()).id } }),
    invalid: async () => ({ input: { endpointId: "" }, field: "endpointId" }),
  },
  "webhooks.sendTest": {
    valid: async () => ({ input: { endpointId: (await newWebhook()).id } }),
    invalid: async () => ({ input: { endpointId: 7 }, field: "endpointId" }),
  },
  "webhooks.redeliver": {
    async valid() {
      const endpoint = await newWebhook();
      const delivery = await t.db.webhookDelivery.create({
        data: { endpointId: endpoint.id, eventId: "e1", eventType: "webhook.test", payload: {}, status: "failed" },
      });
      return { input: { deliveryId: delivery.id.toString() } };
    },
    invalid: async () => ({ input: { deliveryId: "-1" }, field: "deliveryId" }),
  },
};

const mutations = procedures()
  .filter((p) => p.type === "mutation")
  .map((p) => p.path);

function cookieOf(call: Call): string | undefined {
  if (call.cookie === "public") return undefined;
  return call.cookie ?? admin.cookie;
}

describe("every mutation", () => {
  it("has a case in this table (a new mutation must be added here)", () => {
    expect(Object.keys(cases).sort()).toEqual([...mutations].sort());
  });

  it.each(mutations)("%s leaves exactly one audit entry, with actor and source address", async (path) => {
    const call = await cases[path]!.valid();
    const before = await t.db.auditEntry.findMany({ select: { id: true } });
    const result = await api.call(path, call.input, { cookie: cookieOf(call), ip: "198.51.100.7" });
    expect(result.error).toBeUndefined();
    const known = new Set(before.map((e) => e.id));
    const added = (await t.db.auditEntry.findMany()).filter((e) => !known.has(e.id));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ actorType: "user", sourceIp: "198.51.100.7" });
    expect(added[0]!.actorName).not.toBe("");
    expect(added[0]!.action).toMatch(/^[a-z]+\.[a-z_]+$/);
  });

  it.each(mutations.filter((path) => cases[path]?.invalid))(
    "%s refuses invalid input with a validation error naming the field, storing nothing",
    async (path) => {
      const { input, field } = await cases[path]!.invalid!();
      const auditBefore = await t.db.auditEntry.count();
      const result = await api.call(path, input, { cookie: path === "auth.login" ? undefined : cookieOf({}) });
      expect(result.status).toBe(400);
      expect(result.error?.data.code).toBe("BAD_REQUEST");
      expect(Object.keys(result.error?.data.fieldErrors ?? {})).toContain(field);
      expect(result.error?.message).toContain(`${field}:`);
      expect(await t.db.auditEntry.count()).toBe(auditBefore);
    },
  );

  it("writes no audit entry when the change itself fails (same transaction)", async () => {
    const [a, b] = [await newGroup(), await newGroup()];
    const auditBefore = await t.db.auditEntry.count();
    const result = await api.call("groups.rename", { groupId: a.id, name: b.name }, { cookie: admin.cookie });
    expect(result.error?.data.code).toBe("CONFLICT");
    expect(result.error?.message).toContain(`"${b.name}" already exists`);
    expect(await t.db.auditEntry.count()).toBe(auditBefore);
    expect((await t.db.nodeGroup.findUniqueOrThrow({ where: { id: a.id } })).name).toBe(a.name);
  });
});
