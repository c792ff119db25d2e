import type { RebootRecordEvent } from "@softfleet/protocol";
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./backoff";
import { webhookEndpointInput } from "./endpoints";
import { newEvent, rebootRecordEvents, rolloutEvents } from "./events";
import { renderPayload } from "./render";
import { signatureHeader, signatureProblem } from "./signature";

describe("signatures", () => {
  const secret = "whsec_test";
  const body = '{"hello":"world"}';
  const at = new Date("2026-12-06T00:00:00Z");

  it("signs the timestamp and the body with HMAC-SHA256", () => {
    const header = signatureHeader(secret, body, at);
    // echo -n '1796515200.{"hello":"world"}' | openssl dgst -sha256 -hmac whsec_test
    expect(header).toBe("t=1796515200,v1=534279491d2331093707b9ee64f510381c6b82402a84de2a47120e7dbd104bc4");
    expect(signatureProblem(header, secret, body, { now: at })).toBeNull();
  });

  it("refuses another body, another secret, an old timestamp or a malformed header", () => {
    const header = signatureHeader(secret, body, at);
    expect(signatureProblem(header, secret, `${body} `, { now: at })).toBe("signature does not match");
    expect(signatureProblem(header, "whsec_other", body, { now: at })).toBe("signature does not match");
    const later = new Date(at.getTime() + 301_000);
    expect(signatureProblem(header, secret, body, { now: later })).toBe("signature timestamp outside the tolerance");
    expect(signatureProblem("v1=abc", secret, body, { now: at })).toBe("malformed signature header");
    expect(signatureProblem(undefined, secret, body, { now: at })).toBe("no signature header");
  });
});

describe("backoff", () => {
  const policy = { baseMs: 10_000, maxDelayMs: 60_000, maxAttempts: 5 };

  it("doubles after each failed attempt, up to the cap", () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, middle))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000,
    ]);
  });

  it("jitters each wait within ±20%", () => {
    expect(retryDelayMs(2, policy, () => 0)).toBe(16_000);
    expect(retryDelayMs(2, policy, () => 0.999_999)).toBe(24_000);
  });
});

describe("events and payloads", () => {
  const at = new Date("2026-12-06T00:10:00Z");
  const transition = (from: string, to: string) => ({
    machine: "rollout" as const,
    from,
    to,
    reason: "3 nodes failed, over the threshold of 2",
    at,
    actorType: "engine",
    actorName: "rollout engine",
  });

  it("makes events of a rollout's own transitions only, and not of a resume", () => {
    const events = rolloutEvents({ id: "r1", group: "web" }, [
      transition("running", "halted"),
      { ...transition("pending", "running"), machine: "batch" as never },
      transition("paused", "running"),
      transition("running", "awaiting-approval"),
      transition("running", "completed"),
    ]);
    expect(events.map((e) => e.type)).toEqual(["rollout.halted", "rollout.approval_needed", "rollout.finished"]);
    expect(events[0]!.data).toEqual({
      rollout: {
        id: "r1",
        group: "web",
        status: "halted",
        previousStatus: "running",
        reason: "3 nodes failed, over the threshold of 2",
      },
      actor: { type: "engine", name: "rollout engine" },
    });
  });

  it("renders versioned JSON with a link to the dashboard when its address is known", () => {
    const [event] = rolloutEvents({ id: "r1", group: "web" }, [transition("running", "halted")]);
    const json = JSON.parse(renderPayload("json", event!, "https://softfleet.example.com/"));
    expect(json).toMatchObject({
      version: 1,
      id: event!.id,
      type: "rollout.halted",
      occurredAt: "2026-12-06T00:10:00.000Z",
      summary: "Rollout of “web” halted: 3 nodes failed, over the threshold of 2",
      data: { rollout: { id: "r1", status: "halted" } },
      links: { dashboard: "https://softfleet.example.com/rollouts/r1" },
    });
    expect(JSON.parse(renderPayload("json", event!, null)).links).toEqual({});
  });

  it("renders Slack-compatible text, escaped, with the link in Slack's form", () => {
    const event = newEvent("node.offline", {
      node: { id: "n1", hostname: "web-<1>" },
      reason: "its heartbeats stopped",
    });
    expect(JSON.parse(renderPayload("slack", event, "https://sf.example"))).toEqual({
      text: "softfleet: Node web-&lt;1&gt; is offline: its heartbeats stopped <https://sf.example/nodes/n1|open in softfleet>",
    });
  });

  it("tells of an escalated reboot and of a pinned root from a reboot record", () => {
    const record = {
      kind: "full-reboot",
      requested: "soft-reboot",
      escalated: true,
      imageBefore: { imageVersion: "1" },
      imageAfter: { imageVersion: "2" },
      pinnedRoot: {
        devices: ["0:42"],
        pssKb: 20480,
        processes: [{ pid: 7, comm: "postgres", unit: "postgresql.service", refs: ["exe"], files: [], pssKb: 20480 }],
        scannedProcesses: 90,
        scanMs: 12,
      },
    } as unknown as RebootRecordEvent;
    const events = rebootRecordEvents({ id: "n1", hostname: "db-1" }, record, at);
    expect(events.map((e) => e.type)).toEqual(["node.escalated", "node.pinned_root"]);
    expect(JSON.parse(renderPayload("slack", events[1]!, null)).text).toBe(
      "softfleet: Node db-1: an old root is still pinned (20 MiB) by 1 processes: postgres",
    );
    expect(
      rebootRecordEvents({ id: "n1", hostname: "db-1" }, { ...record, escalated: false, pinnedRoot: null }),
    ).toEqual([]);
  });
});

describe("endpoint input", () => {
  const valid = { name: "ops", url: "https://hooks.example.com/x", format: "json", events: ["rollout.halted"] };

  it.each([
    ["url", { url: "ftp://example.com/x" }, "must start with http:// or https://"],
    ["url", { url: "hooks.example.com" }, "must be a full URL"],
    ["url", { url: "https://user:pw@example.com/" }, "must not hold a user name or password"],
    ["events", { events: [] }, "choose at least one event"],
    ["events", { events: ["rollout.exploded"] }, "must each be one of"],
    ["format", { format: "xml" }, "must be json or slack"],
    ["name", { name: " " }, "must not be empty"],
  ])("refuses a bad %s, saying why", (field, change, message) => {
    const result = webhookEndpointInput.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path[0] === field);
    expect(issue?.message).toContain(message);
  });
});
