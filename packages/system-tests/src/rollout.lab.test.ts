import { apiClient, signedInUser } from "@softfleet/api/testing";
import { actOnRollout, createRollout } from "@softfleet/fleet";
import { buildImageTarball, execIn, managerProperties, stage, tarballName } from "@softfleet/lab";
import { type LabFleet, labUnavailable } from "@softfleet/launcher/lab";
import type { RolloutPlanInput } from "@softfleet/rollout";
import { rolloutReaches, rolloutViolations, type TestControl, type TestDatabase, until } from "@softfleet/testkit";
import { type LabTestbed, startLabTestbed } from "@softfleet/testkit/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The rollout engine on real systemd nodes: the agent soft-reboots each node
 * into the image staged at /run/nextroot, and the engine judges what came
 * back. One control process (gateway and engine) and four nodes serve the
 * scenarios in order; each starts from where the one before left the nodes.
 */
const missing = await labUnavailable();
const required = process.env.SOFTFLEET_LAB_REQUIRED === "1" && process.env.SOFTFLEET_SKIP_LAB !== "1";

type Db = TestDatabase["db"];
type User = { id: string; name: string };

let testbed: LabTestbed | undefined;
let t: TestDatabase | undefined;
let control: TestControl | undefined;
let fleet: LabFleet | undefined;
let hosts: string[] = [];
let groupId = "";
let user: User = { id: "", name: "" };

const softRebootsCount = async (name: string) => Number((await managerProperties(name, ["SoftRebootsCount"]))[0]);

/** IMAGE_VERSION as the node itself reads it from its os-release. */
async function osImageVersion(name: string) {
  const result = await execIn(name, ["sh", "-c", '. /etc/os-release && echo "$IMAGE_VERSION"']);
  return result.stdout.trim();
}

/** Every node online with a healthy agent, and /run/nextroot as `staged` says (version, or nothing). */
function fleetReady(db: Db, staged: Record<string, string | null>) {
  return until(`every node online with nextroot ${JSON.stringify(staged)}`, async () => {
    const nodes = await db.node.findMany({ where: { hostname: { in: hosts } } });
    return (
      nodes.length === hosts.length &&
      nodes.every((n) => {
        const want = staged[n.hostname] ?? null;
        const nextroot = want === null ? !n.nextrootStaged : n.nextrootStaged && n.nextrootImageVersion === want;
        return n.status === "online" && n.inhibitor === "held" && nextroot;
      })
    );
  });
}

async function startRollout(db: Db, plan: RolloutPlanInput) {
  const { rollout } = await db.$transaction((tx) => createRollout(tx, { groupId, plan, user }));
  return rollout.id;
}

const act = (db: Db, rolloutId: string, action: "pause" | "resume" | "approve" | "abort") =>
  db.$transaction((tx) => actOnRollout(tx, { rolloutId, action, user }));

/** The rollout in `status`; "completed" and "aborted" wait until it is over (nothing left in flight). */
const nodesOf = async (db: Db, rolloutId: string) =>
  new Map((await db.rolloutNode.findMany({ where: { rolloutId } })).map((n) => [n.hostname, n]));

/** Hostnames sent into a reboot, in order. */
async function rebootedHosts(db: Db, rolloutId: string) {
  const { transitions } = await rolloutViolations(db, rolloutId, Number.POSITIVE_INFINITY);
  return transitions.filter((tr) => tr.machine === "node" && tr.to === "rebooting").map((tr) => tr.subjectName);
}

/** The control process's and a node agent's last lines, for a failure's message. */
async function diagnostics(name: string) {
  // On the node's monotonic clock, beside systemd's Finish of the boot and the node's time now.
  const journal = await execIn(name, [
    "sh",
    "-c",
    "journalctl -u softfleet-agent -n 40 --no-pager -o short-monotonic; echo \"Finish $(systemctl show -P FinishTimestampMonotonic) us, now $(cut -d' ' -f1 /proc/uptime) s\"",
  ])
    .then((result) => result.stdout)
    // A full reboot ends a lab node (systemd-nspawn exits): then there is no journal to read.
    .catch((error: Error) => `(cannot read it: ${error.message})`);
  return `control:\n${control?.output.slice(-30).join("\n")}\n${name}'s agent:\n${journal}`;
}

const BLOCKER_UNIT = "rollout-lab-backup-job";

const AGENT_DROP_IN_DIR = "/etc/systemd/system/softfleet-agent.service.d";
const BROKEN_AGENT = `${AGENT_DROP_IN_DIR}/zz-rollout-lab-broken.conf`;

describe.skipIf(missing !== null && !required)(
  `the rollout engine on real nodes${missing ? ` (lab: ${missing})` : ""}`,
  () => {
    beforeAll(async () => {
      if (missing) throw new Error(`the lab is required here but cannot run: ${missing}`);
      // The lab's agents talk to control over TLS, with the CA the lab made.
      testbed = await startLabTestbed({ nodes: 4, firstIndex: 41, label: "rollout lab test" });
      ({ t, control, fleet } = testbed);
      hosts = fleet.nodes.map((n) => n.name);
      const db = t.db;
      await fleetReady(db, {});
      const nodes = await db.node.findMany({ where: { hostname: { in: hosts } }, select: { id: true } });
      const group = await db.nodeGroup.create({
        data: { name: "lab", members: { create: nodes.map((n) => ({ nodeId: n.id })) } },
      });
      groupId = group.id;
      const row = await db.user.create({
        data: { username: "ops", displayName: "Ops", passwordHash: "x", role: "operator" },
      });
      user = { id: row.id, name: row.username };
    }, 300_000);

    afterAll(async () => {
      // The agent of the third scenario's node, mended if that scenario stopped half-way.
      for (const name of hosts) {
        await execIn(name, ["sh", "-c", `rm -f ${BROKEN_AGENT} && systemctl daemon-reload`]).catch(() => {});
        await execIn(name, ["systemctl", "stop", BLOCKER_UNIT]).catch(() => {});
      }
      await testbed?.stop();
    }, 120_000);

    it("skips the node without the target staged and soft-reboots the rest into it", async () => {
      const db = t!.db;
      const [canary, second, third, unstaged] = hosts as [string, string, string, string];
      const staged = [canary, second, third];
      await stage({ version: "2", nodes: staged });
      await fleetReady(db, { [canary]: "2", [second]: "2", [third]: "2" });
      const countsBefore = new Map(await Promise.all(hosts.map(async (h) => [h, await softRebootsCount(h)] as const)));

      const plan = {
        canary: { count: 1 },
        batch: { size: 2 },
        maxUnavailable: 2,
        settleSec: 0,
        targetImageVersion: "2",
        whenNotStaged: "skip",
        gate: { returnTimeoutSec: 60 },
      } as const;
      const id = await startRollout(db, plan);
      const rollout = await rolloutReaches(db, id, "completed", 90_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics(second)}`);
      });
      expect(rollout.statusReason).toBe("all 3 batches are done: 3 succeeded, 0 failed, 1 skipped");

      const nodes = await nodesOf(db, id);
      for (const host of staged) {
        expect(nodes.get(host)).toMatchObject({ status: "succeeded", reason: "came back and passed the health gate" });
        expect(await db.node.findFirstOrThrow({ where: { hostname: host } })).toMatchObject({
          imageVersion: "2",
          nextrootStaged: false,
          softRebootsCount: countsBefore.get(host)! + 1,
        });
        expect(await osImageVersion(host)).toBe("2");
        expect(await softRebootsCount(host)).toBe(countsBefore.get(host)! + 1);
      }
      expect(nodes.get(unstaged)).toMatchObject({
        status: "skipped",
        reason: "image version 2 is not staged at /run/nextroot",
      });
      expect(await osImageVersion(unstaged)).toBe("1");
      expect(await softRebootsCount(unstaged)).toBe(countsBefore.get(unstaged));
      expect(await db.rebootRecord.count({ where: { trigger: "rollout" } })).toBe(3);

      const { found, rebooted } = await rolloutViolations(db, id, plan.maxUnavailable);
      expect(found).toEqual([]);
      expect(rebooted.size).toBe(3);
      expect(await rebootedHosts(db, id)).toEqual(staged);
      const batches = await db.rolloutBatch.findMany({ where: { rolloutId: id }, orderBy: { index: "asc" } });
      expect(batches.map((b) => [b.kind, b.status])).toEqual([
        ["canary", "done"],
        ["batch", "done"],
        ["batch", "done"],
      ]);
    }, 150_000);

    it("fails unstaged nodes per plan and halts at the threshold; resume counts only new failures; abort ends it", async () => {
      const db = t!.db;
      // Left by the first scenario: the first three run version 2, the fourth version 1, nothing staged.
      const [canary, second, third, fourth] = hosts as [string, string, string, string];
      await stage({ version: "3", nodes: [second, fourth] });
      await fleetReady(db, { [second]: "3", [fourth]: "3" });
      // The second node's second soft-reboot by its agent: logind must see a root staged after the first.
      const secondCount = await softRebootsCount(second);

      // Batches: [canary] [second, third] [fourth]; one reboot at a time, so the order is fixed.
      const plan = {
        canary: { count: 1 },
        batch: { size: 2 },
        maxUnavailable: 1,
        settleSec: 0,
        targetImageVersion: "3",
        whenNotStaged: "fail",
        gate: { returnTimeoutSec: 60 },
        failureThreshold: { count: 0 },
      } as const;
      const id = await startRollout(db, plan);

      const halted = await rolloutReaches(db, id, "halted", 90_000);
      expect(halted.statusReason).toBe("1 node failed, more than the threshold of 0");
      let nodes = await nodesOf(db, id);
      expect(nodes.get(canary)).toMatchObject({
        status: "failed",
        reason: "image version 3 is not staged at /run/nextroot",
      });
      // Halted: nothing more starts, however long it stays so.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(await rebootedHosts(db, id)).toEqual([]);
      nodes = await nodesOf(db, id);
      expect([second, third, fourth].map((h) => nodes.get(h)?.status)).toEqual(["pending", "pending", "pending"]);

      await act(db, id, "resume");
      // The canary's failure is acknowledged: the second node is rebooted, the third fails and halts it again.
      const haltedAgain = await until(
        "the rollout to halt a second time",
        async () => {
          const rollout = await db.rollout.findUniqueOrThrow({ where: { id } });
          const third_ = await db.rolloutNode.findFirstOrThrow({ where: { rolloutId: id, hostname: third } });
          return rollout.status === "halted" && third_.status === "failed" ? rollout : null;
        },
        90_000,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics(second)}`);
      });
      expect(haltedAgain.statusReason).toBe(
        "1 node failed since the rollout was resumed, more than the threshold of 0",
      );
      nodes = await nodesOf(db, id);
      expect(nodes.get(second)).toMatchObject({ status: "succeeded" });
      expect(nodes.get(third)).toMatchObject({
        status: "failed",
        reason: "image version 3 is not staged at /run/nextroot",
      });
      expect(nodes.get(fourth)?.status).toBe("pending");
      expect(await osImageVersion(second)).toBe("3");
      expect(await softRebootsCount(second)).toBe(secondCount + 1);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(await rebootedHosts(db, id)).toEqual([second]);

      await act(db, id, "abort");
      const aborted = await rolloutReaches(db, id, "aborted", 90_000);
      expect(aborted.finishedAt).not.toBeNull();
      nodes = await nodesOf(db, id);
      expect(nodes.get(fourth)).toMatchObject({ status: "cancelled" });
      expect([...nodes.values()].filter((n) => n.status === "pending")).toEqual([]);
      expect([...nodes.values()].every((n) => !n.active)).toBe(true);
      // Staged but never rebooted: the fourth node still runs version 1.
      expect(await osImageVersion(fourth)).toBe("1");

      const { found } = await rolloutViolations(db, id, plan.maxUnavailable);
      expect(found).toEqual([]);
      expect(await rebootedHosts(db, id)).toEqual([second]);
    }, 150_000);

    it("fails a node whose agent does not come back by the gate's timeout, and halts", async () => {
      const db = t!.db;
      const [canary, broken, third, fourth] = hosts as [string, string, string, string];
      // Only ours: by default the lab stages every running node, other test files' too.
      await stage({ version: "4", nodes: hosts });
      // The new image of one node has an agent that cannot start. Written into the staged root:
      // the running root's /etc is not carried into it (the lab stages a fresh overlay over the
      // image layers), while the agent must stay online until its node is rebooted, or the
      // node would fail its preconditions ("node is offline") instead of its gate.
      const writeDropIn = await execIn(broken, [
        "sh",
        "-c",
        `mkdir -p /run/nextroot${AGENT_DROP_IN_DIR} && printf '[Service]\\nExecStartPre=/bin/false\\n' > /run/nextroot${BROKEN_AGENT}`,
      ]);
      expect(writeDropIn.exitCode).toBe(0);
      await fleetReady(db, Object.fromEntries(hosts.map((h) => [h, "4"])));
      const brokenCount = await softRebootsCount(broken);

      // Batches: [canary] [broken, third] [fourth]; the canary passes, then the broken node fails.
      const plan = {
        canary: { count: 1 },
        batch: { size: 2 },
        maxUnavailable: 1,
        settleSec: 0,
        targetImageVersion: "4",
        // Long enough for a healthy node on a loaded 2-core machine (the whole suite runs beside it):
        // a canary once took over 15 s to start its agent there.
        gate: { returnTimeoutSec: 45 },
        failureThreshold: { count: 0 },
      } as const;
      const id = await startRollout(db, plan);
      const halted = await rolloutReaches(db, id, "halted", 180_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics(canary)}`);
      });
      expect(halted.statusReason).toBe("1 node failed, more than the threshold of 0");
      let nodes = await nodesOf(db, id);
      expect(nodes.get(canary), `${JSON.stringify(nodes.get(canary))}\n${await diagnostics(canary)}`).toMatchObject({
        status: "succeeded",
      });
      expect(nodes.get(broken)).toMatchObject({ status: "failed", reason: "did not come back within 45 s" });
      expect(nodes.get(third)?.status).toBe("pending");
      expect(nodes.get(fourth)?.status).toBe("pending");
      // The node did soft-reboot into the new image; only its agent stayed away.
      expect(await osImageVersion(broken)).toBe("4");
      expect(await softRebootsCount(broken)).toBe(brokenCount + 1);
      expect((await execIn(broken, ["systemctl", "is-active", "softfleet-agent"])).stdout.trim()).not.toBe("active");
      // It announced the shutdown and never said hello again (shown as rebooting since, not offline).
      const brokenNode = await db.node.findFirstOrThrow({ where: { hostname: broken } });
      expect(["rebooting", "offline"]).toContain(brokenNode.status);

      await act(db, id, "abort");
      await rolloutReaches(db, id, "aborted", 90_000);
      nodes = await nodesOf(db, id);
      expect([third, fourth].map((h) => nodes.get(h)?.status)).toEqual(["cancelled", "cancelled"]);
      expect([...nodes.values()].every((n) => !n.active)).toBe(true);
      const { found } = await rolloutViolations(db, id, plan.maxUnavailable);
      expect(found).toEqual([]);
      expect(await rebootedHosts(db, id)).toEqual([canary, broken]);

      // Mended: the agent comes back and the node is online again, as the fleet should be at the end.
      const mend = await execIn(broken, [
        "sh",
        "-c",
        `rm -f ${BROKEN_AGENT} && systemctl daemon-reload && systemctl reset-failed softfleet-agent; systemctl restart softfleet-agent`,
      ]);
      expect(mend.exitCode).toBe(0);
      await until("the mended agent to come back online", () =>
        db.node.findFirst({ where: { hostname: broken, status: "online", inhibitor: "held" } }),
      );
    }, 240_000);
    it("holds a node behind a block inhibitor, names who holds it, and reboots it past the lock on an operator's audited override", async () => {
      const db = t!.db;
      const held = hosts[0]!;
      const node = await db.node.findFirstOrThrow({ where: { hostname: held } });
      const group = await db.nodeGroup.create({
        data: { name: "lab held", members: { create: [{ nodeId: node.id }] } },
      });
      // A backup job's lock, as systemd-inhibit takes it: systemd 257 refuses even root's soft-reboot now.
      const take = await execIn(held, [
        "systemd-run",
        `--unit=${BLOCKER_UNIT}`,
        "--",
        "systemd-inhibit",
        "--what=shutdown",
        "--mode=block",
        "--who=backup-job",
        "--why=nightly backup running",
        "sleep",
        "600",
      ]);
      expect(take.exitCode, take.stderr).toBe(0);
      type Lock = { who: string; mode: string; pid: number };
      const lock = await until("the node's block inhibitor in its reported state", async () => {
        const row = await db.node.findUniqueOrThrow({ where: { id: node.id } });
        return ((row.inhibitors ?? []) as Lock[]).find((l) => l.who === "backup-job" && l.mode === "block");
      });
      const count = await softRebootsCount(held);

      const plan = {
        canary: null,
        batch: { size: 1 },
        settleSec: 0,
        blockedTimeoutSec: 300,
        gate: { returnTimeoutSec: 60 },
      };
      const { rollout } = await db.$transaction((tx) => createRollout(tx, { groupId: group.id, plan, user }));
      const id = rollout.id;
      const waiting = await until("the node to be held", () =>
        db.rolloutNode.findFirst({ where: { rolloutId: id, blockedSince: { not: null } } }),
      );
      expect(waiting).toMatchObject({
        status: "pending",
        blockedBy: `backup-job (pid ${lock.pid}): nightly backup running`,
      });
      // Held: no command, no reboot, however long it waits (within the plan's 300 s).
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(await db.nodeCommand.count({ where: { rolloutId: id } })).toBe(0);
      expect(await softRebootsCount(held)).toBe(count);

      // The operator's override, through the API as the dashboard sends it: audited with who held the node.
      const operator = await signedInUser(db, "operator");
      const skipped = await apiClient(db).call(
        "rollouts.skipInhibitors",
        { id, nodeId: node.id },
        { cookie: operator.cookie },
      );
      expect(skipped.error).toBeUndefined();
      const done = await rolloutReaches(db, id, "completed", 90_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics(held)}`);
      });
      expect(done.statusReason).toBe("all 1 batches are done: 1 succeeded, 0 failed, 0 skipped");
      // logind let the agent's RebootWithFlags(SOFT_REBOOT | SKIP_INHIBITORS) through (polkit's rule for its unit).
      expect(await softRebootsCount(held)).toBe(count + 1);
      const command = await db.nodeCommand.findFirstOrThrow({ where: { rolloutId: id } });
      expect(command).toMatchObject({ skipInhibitors: true, status: "accepted" });
      const audit = await db.auditEntry.findFirstOrThrow({
        where: { action: "rollout.inhibitors_skipped", targetId: id },
      });
      expect(audit).toMatchObject({ actorName: operator.user.username });
      expect(audit.details).toMatchObject({ hostname: held, blockedBy: waiting!.blockedBy });
    }, 180_000);
    it("stages the plan's image on each node itself (served by control), soft-reboots into it; a bad digest stops a node before its reboot", async () => {
      const db = t!.db;
      const [good1, good2, bad] = [hosts[1]!, hosts[2]!, hosts[3]!];
      const image = await buildImageTarball({ version: "8" });
      const countsBefore = new Map(await Promise.all(hosts.map(async (h) => [h, await softRebootsCount(h)] as const)));
      const groupOf = async (name: string, members: string[]) => {
        const nodes = await db.node.findMany({ where: { hostname: { in: members } }, select: { id: true } });
        return db.nodeGroup.create({ data: { name, members: { create: nodes.map((n) => ({ nodeId: n.id })) } } });
      };
      const staging = (sha256: string) => ({
        canary: null,
        batch: { size: 2 },
        maxUnavailable: 2,
        settleSec: 0,
        targetImageVersion: "8",
        image: { url: `/images/${tarballName("8")}`, sha256 },
        staging: { concurrency: 2, timeoutSec: 300 },
        gate: { returnTimeoutSec: 60 },
        failureThreshold: { count: 0 },
      });

      // Two nodes, nothing staged by hand: the rollout stages version 8 on each, then soft-reboots them into it.
      const good = await groupOf("lab staged", [good1, good2]);
      const { rollout } = await db.$transaction((tx) =>
        createRollout(tx, { groupId: good.id, plan: staging(image.sha256), user }),
      );
      const done = await rolloutReaches(db, rollout.id, "completed", 420_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics(good1)}`);
      });
      expect(done.statusReason).toBe("all 1 batches are done: 2 succeeded, 0 failed, 0 skipped");
      for (const host of [good1, good2]) {
        expect(await osImageVersion(host)).toBe("8");
        expect(await softRebootsCount(host)).toBe(countsBefore.get(host)! + 1);
        // The node kept its identity: the machine's own files were carried into the image.
        const node = await db.node.findFirstOrThrow({ where: { hostname: host } });
        expect(node).toMatchObject({ imageVersion: "8", status: "online" });
      }
      const commands = await db.nodeCommand.findMany({ where: { rolloutId: rollout.id, type: "stage" } });
      expect(commands).toHaveLength(2);
      for (const command of commands) {
        expect(command.result).toMatchObject({ outcome: "staged", version: "8", bytes: image.bytes });
        expect(command.progress).toMatchObject({ bytesTotal: image.bytes });
      }
      const transitions = await db.rolloutTransition.findMany({ where: { rolloutId: rollout.id, machine: "node" } });
      for (const host of [good1, good2]) {
        const mine = transitions.filter((tr) => tr.subjectName === host).map((tr) => tr.to);
        expect(mine).toEqual(["staging", "staged", "rebooting", "succeeded"]);
      }

      // A wrong digest: the node fails with the stager's reason, nothing is left at /run/nextroot, no reboot.
      // (An earlier scenario staged a root there with the lab's own stager: take it away first.)
      await execIn(bad, ["sh", "-c", "umount -R /run/nextroot 2>/dev/null; true"]);
      const wrong = await groupOf("lab bad digest", [bad]);
      const { rollout: badRollout } = await db.$transaction((tx) =>
        createRollout(tx, { groupId: wrong.id, plan: { ...staging("0".repeat(64)), maxUnavailable: 1 }, user }),
      );
      const halted = await rolloutReaches(db, badRollout.id, "halted", 120_000);
      expect(halted.statusReason).toBe("1 node failed, more than the threshold of 0");
      const failed = await db.rolloutNode.findFirstOrThrow({ where: { rolloutId: badRollout.id } });
      expect(failed.status).toBe("failed");
      expect(failed.reason).toMatch(/^staging failed \(digest-mismatch\): .*0{64}/);
      expect(await softRebootsCount(bad)).toBe(countsBefore.get(bad));
      const nextroot = await execIn(bad, ["sh", "-c", "mountpoint -q /run/nextroot && echo mounted || echo none"]);
      expect(nextroot.stdout.trim()).toBe("none");
      await act(db, badRollout.id, "abort");
    }, 540_000);
    it("rolls a node that fails its gate back into the image it ran before (kept by its agent); one with none kept is refused, saying so", async () => {
      const db = t!.db;
      // Left by the staging scenario: the second node runs version 8 from its images folder; the fourth has no image kept.
      const [kept, none] = [hosts[1]!, hosts[3]!];
      expect(await osImageVersion(kept)).toBe("8");
      const noneVersion = await osImageVersion(none);
      const image = await buildImageTarball({ version: "10" });
      const nodes = await db.node.findMany({ where: { hostname: { in: [kept, none] } }, select: { id: true } });
      const group = await db.nodeGroup.create({
        data: { name: "lab rollback", members: { create: nodes.map((n) => ({ nodeId: n.id })) } },
      });
      await execIn(none, ["sh", "-c", "umount -R /run/nextroot 2>/dev/null; true"]);
      const countsBefore = new Map(
        await Promise.all([kept, none].map(async (h) => [h, await softRebootsCount(h)] as const)),
      );
      const plan = {
        canary: null,
        batch: { size: 2 },
        maxUnavailable: 2,
        settleSec: 0,
        targetImageVersion: "10",
        image: { url: `/images/${tarballName("10")}`, sha256: image.sha256 },
        // Version 10 comes up fine, but the gate asks for a unit it does not have.
        gate: { returnTimeoutSec: 60, requiredUnits: ["softfleet-never-installed.service"] },
        autoRollback: true,
        failureThreshold: { count: 5 },
      };
      const { rollout } = await db.$transaction((tx) => createRollout(tx, { groupId: group.id, plan, user }));
      const ended = await until(
        "both nodes to end",
        async () => {
          const rows = await db.rolloutNode.findMany({ where: { rolloutId: rollout.id } });
          return rows.every((r) => ["rolled-back", "failed"].includes(r.status)) ? rows : null;
        },
        420_000,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics(kept)}`);
      });
      const byHost = new Map(ended.map((r) => [r.hostname, r]));
      expect(byHost.get(kept)).toMatchObject({
        status: "rolled-back",
        reason: "back on IMAGE_VERSION 8, the image it ran before",
        rollbackVersion: "8",
      });
      // Two soft-reboots: into 10, and back into 8.
      expect(await osImageVersion(kept)).toBe("8");
      expect(await softRebootsCount(kept)).toBe(countsBefore.get(kept)! + 2);
      expect(byHost.get(none)?.status).toBe("failed");
      expect(byHost.get(none)?.reason).toBe(
        `rollback failed: no image of IMAGE_VERSION ${noneVersion} is kept in /run/host/softfleet-node-images: this node cannot roll back to it`,
      );
      expect(await osImageVersion(none)).toBe("10");
      const halted = await db.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
      expect(halted.status).toBe("halted");
      expect(halted.statusReason).toMatch(/^health gate: a node failed its gate and is rolled back to IMAGE_VERSION /);
      const transitions = await db.rolloutTransition.findMany({
        where: { rolloutId: rollout.id, machine: "node", subjectName: kept },
        orderBy: { id: "asc" },
      });
      expect(transitions.map((tr) => tr.to)).toEqual(["staging", "staged", "rebooting", "rolling-back", "rolled-back"]);
      await act(db, rollout.id, "abort");
    }, 540_000);
  },
);
