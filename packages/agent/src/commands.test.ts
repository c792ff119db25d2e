import { PROTOCOL_VERSION } from "@softfleet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "./testing/gateway";
import { createNode, type Node } from "./testing/harness";

/** Soft-reboot commands from the stand-in gateway, carried out through the stand-in logind. */
let node: Node;
afterEach(() => node?.close());

function command(id: string, requireNextroot: boolean, skipInhibitors = false) {
  node.gateway.send({
    kind: "command",
    v: PROTOCOL_VERSION,
    id,
    command: { type: "soft-reboot", requireNextroot, skipInhibitors },
  });
}

/** The node state the agent sent last (in hello or state). */
const lastState = () =>
  node.gateway.frames
    .flatMap((frame) => (frame.kind === "hello" || frame.kind === "state" ? [frame.state] : []))
    .at(-1);

const results = () => node.events("command-result").map(([, event]) => event);

describe("soft-reboot command", () => {
  it("answers (spooled, sent, acked) before it asks logind for RebootWithFlags(SOFT_REBOOT)", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    let storedWhenCalled: unknown[] = [];
    node.logind.onReboot = () => {
      storedWhenCalled = results();
    };
    command("cmd-00000001", false);
    await until(() => node.logind.rebootCalls.length === 1, 5000, "RebootWithFlags");
    expect(node.logind.rebootCalls).toEqual([0x04n]);
    const accepted = { type: "command-result", commandId: "cmd-00000001", outcome: "accepted", reason: null };
    expect(storedWhenCalled).toEqual([accepted]);
    // A command delivered twice is carried out once.
    command("cmd-00000001", false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(node.logind.rebootCalls).toHaveLength(1);
    expect(results()).toEqual([accepted]);
    // The soft-reboot restarts the agent; the gateway sends the command again (its answer may not have
    // been stored): the new agent process recognises it and does not reboot a second time.
    await node.stopAgent();
    await node.start();
    await node.connected();
    command("cmd-00000001", false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(node.logind.rebootCalls).toHaveLength(1);
  });

  it("refuses while a block inhibitor holds shutdown, naming who and why; skips it only when told to", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    // A backup job's lock, held by a live process (this one), as logind lists it.
    node.logind.locks.push({
      what: "shutdown:sleep",
      who: "backup-job",
      why: "nightly backup running",
      mode: "block",
      pid: process.pid,
    });
    command("cmd-block-0001", false);
    await until(() => results().length === 1, 5000, "the refusal");
    expect(results()[0]).toMatchObject({ commandId: "cmd-block-0001", outcome: "refused" });
    expect((results()[0] as { reason: string }).reason).toBe(
      `blocked by a block inhibitor: backup-job (pid ${process.pid}): nightly backup running`,
    );
    expect(node.logind.rebootCalls).toEqual([]);
    // The operator's override: logind gets SOFT_REBOOT | SKIP_INHIBITORS.
    command("cmd-block-0002", false, true);
    await until(() => node.logind.rebootCalls.length === 1, 5000, "RebootWithFlags");
    expect(node.logind.rebootCalls).toEqual([0x14n]);
    expect(results()[1]).toMatchObject({ commandId: "cmd-block-0002", outcome: "accepted" });
  });

  it("lists logind's locks in the node's state, the agent's own delay lock and a block lock", async () => {
    node = await createNode();
    node.logind.locks.push({
      what: "shutdown",
      who: "db-migration",
      why: "schema change",
      mode: "block",
      pid: process.pid,
    });
    await node.start();
    await node.connected();
    await until(
      () => (lastState()?.inhibitors ?? []).some((lock) => lock.who === "softfleet-agent"),
      5000,
      "the agent's own lock in the state",
    );
    const locks = lastState()?.inhibitors ?? [];
    expect(locks).toContainEqual({
      what: "shutdown",
      who: "db-migration",
      why: "schema change",
      mode: "block",
      uid: 0,
      pid: process.pid,
    });
    expect(locks.find((lock) => lock.who === "softfleet-agent")).toMatchObject({ mode: "delay", what: "shutdown" });
  });

  it("refuses reboot commands past the node's own limit, across agent restarts (each soft-reboot is one)", async () => {
    node = await createNode({ rebootCommandLimit: { count: 1, perSeconds: 3600 } });
    await node.start();
    await node.connected();
    command("cmd-limit-0001", false);
    await until(() => node.logind.rebootCalls.length === 1, 5000, "the first reboot");
    // The agent restarts, as after a soft-reboot: the limit is kept on disk.
    await node.stopAgent();
    await node.start();
    await node.connected();
    command("cmd-limit-0002", false);
    await until(() => results().length === 2, 5000, "the second answer");
    expect(results()[1]).toMatchObject({ commandId: "cmd-limit-0002", outcome: "refused" });
    expect((results()[1] as { reason: string }).reason).toContain("at most 1 reboot commands in 3600 s");
    expect(node.logind.rebootCalls).toHaveLength(1);
  });

  it("refuses by itself when a new image is required and /run/nextroot is not set up", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    command("cmd-00000002", true);
    await until(() => results().length === 1, 5000, "the answer");
    expect(results()[0]).toEqual({
      type: "command-result",
      commandId: "cmd-00000002",
      outcome: "refused",
      reason: "a new image is required but /run/nextroot is not set up (logind would fall back to a full reboot)",
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(node.logind.rebootCalls).toEqual([]);
  });

  it("with a staged image reports it in the state and passes SOFT_REBOOT_IF_NEXTROOT_SET_UP", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    node.host.stageNextroot("2");
    await until(
      () => node.gateway.frames.some((f) => f.kind === "state" && f.state.nextroot.staged),
      5000,
      "a state message with the staged image",
    );
    const state = node.gateway.frames.find((f) => f.kind === "state");
    expect(state).toMatchObject({ state: { nextroot: { staged: true, imageVersion: "2" } } });
    command("cmd-00000003", true);
    await until(() => node.logind.rebootCalls.length === 1, 5000, "RebootWithFlags");
    expect(node.logind.rebootCalls).toEqual([0x08n]);
    expect(results()).toEqual([expect.objectContaining({ commandId: "cmd-00000003", outcome: "accepted" })]);
  });

  it("says so in a second result when logind refuses, and refuses while a shutdown is under way", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    node.logind.refuseReboot = true;
    command("cmd-00000004", false);
    await until(() => results().length === 2, 5000, "both answers");
    expect(results()).toEqual([
      expect.objectContaining({ commandId: "cmd-00000004", outcome: "accepted" }),
      expect.objectContaining({
        commandId: "cmd-00000004",
        outcome: "refused",
        reason: expect.stringMatching(/^logind refused/),
      }),
    ]);

    node.announce(true, "reboot");
    await until(() => node.reports.length === 1, 5000, "the shutdown report");
    node.logind.refuseReboot = false;
    command("cmd-00000005", false);
    await until(() => results().length === 3, 5000, "the refusal");
    expect(results()[2]).toMatchObject({ outcome: "refused", reason: "a shutdown is already under way on this node" });
    expect(node.logind.rebootCalls).toEqual([]);
  });
});
