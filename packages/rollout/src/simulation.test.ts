import { describe, expect, it } from "vitest";
import { applyActions, applyUserActionToSnapshot } from "./apply";
import { decide } from "./decide";
import { checkInvariants, type Moment } from "./invariants";
import { isTerminal, type UserAction } from "./machine";
import { type RolloutPlanInput, rolloutPlan } from "./plan";
import type { RolloutNode, RolloutSnapshot, TransitionRecord } from "./snapshot";
import { initialSnapshot } from "./start";

/** mulberry32: small, seeded, the same numbers on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a node's agent will do when told to reboot (or how it is before). */
type Fate =
  | "ok"
  | "refuse"
  | "vanish" // goes down and never returns
  | "escalate" // comes back after a full reboot
  | "slow" // comes back after the return timeout
  | "wrong-image"
  | "unstaged" // target not staged: a precondition
  | "offline"; // offline before its turn: a precondition

const FATES: Fate[] = ["refuse", "vanish", "escalate", "slow", "wrong-image", "unstaged", "offline"];
const T0 = new Date("2026-03-02T00:00:00Z"); // a Monday
const TARGET = "2";

interface Run {
  final: RolloutSnapshot;
  history: Moment[];
  transitions: TransitionRecord[];
  fates: Map<string, Fate>;
  steps: number;
}

type Scheduled = { at: number; seq: number; nodeId: string; change: (n: RolloutNode) => Partial<RolloutNode> };

function simulate(options: {
  seed: number;
  nodes: number;
  plan: RolloutPlanInput;
  failureRate: number;
  /** Chance that a user acts (pause, resume, approve, abort) at each of their visits. */
  chaos: boolean;
}): Run {
  const random = prng(options.seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo));
  const plan = rolloutPlan.parse(options.plan);
  const fates = new Map<string, Fate>();
  const ids = Array.from({ length: options.nodes }, (_, i) => `node-${String(i).padStart(3, "0")}`);
  for (const id of ids) {
    fates.set(id, random() < options.failureRate ? FATES[Math.floor(random() * FATES.length)]! : "ok");
  }
  let s = initialSnapshot({
    id: `sim-${options.seed}`,
    plan,
    nodes: ids.map((nodeId, i) => ({
      nodeId,
      facts: {
        online: fates.get(nodeId) !== "offline",
        inhibitor: "held",
        imageVersion: "1",
        nextroot: { staged: fates.get(nodeId) !== "unstaged", imageVersion: TARGET },
        bootId: `boot-${i}`,
        softRebootsCount: i % 3,
        units: [{ name: "demo-ordinary.service", activeState: "active" }],
      },
    })),
  });

  let now = T0.getTime();
  const history: Moment[] = [{ at: new Date(now), snapshot: s }];
  const transitions: TransitionRecord[] = [];
  const events: Scheduled[] = [];
  const scheduled = new Set<string>();
  let seq = 0;
  let nextUserVisit = now + between(60_000, 1_200_000);
  const user = { kind: "user", userId: "sim-user" } as const;

  const schedule = (nodeId: string, afterMs: number, change: Scheduled["change"]) =>
    events.push({ at: now + afterMs, seq: seq++, nodeId, change });

  /** The agent's side of a reboot the engine just commanded. */
  const agentReacts = (node: RolloutNode) => {
    const fate = fates.get(node.nodeId)!;
    if (fate === "refuse") {
      schedule(node.nodeId, 200, () => ({ commandOutcome: "refused", commandReason: "a shutdown is already running" }));
      return;
    }
    schedule(node.nodeId, 100, () => ({ commandOutcome: "accepted" }));
    schedule(node.nodeId, 500, (n) => ({ facts: { ...n.facts, online: false } }));
    if (fate === "vanish") return;
    const backAfter =
      fate === "slow" ? between(301_000, 600_000) : fate === "escalate" ? 45_000 : between(1_000, 9_000);
    schedule(node.nodeId, backAfter, (n) => {
      const full = fate === "escalate";
      const bootId = full ? `${n.facts.bootId}-new` : n.facts.bootId!;
      const count = full ? 0 : (n.facts.softRebootsCount ?? 0) + 1;
      const image = fate === "wrong-image" ? "1" : TARGET;
      return {
        facts: {
          ...n.facts,
          online: true,
          bootId,
          softRebootsCount: count,
          imageVersion: image,
          nextroot: { staged: false, imageVersion: null },
        },
        record: {
          kind: full ? "full-reboot" : "soft-reboot",
          escalated: full,
          bootIdAfter: bootId,
          softRebootsCountAfter: count,
          imageVersionAfter: image,
          downtimeMs: backAfter - 400,
          units: n.facts.units,
          survivorsRestarted: [],
          pinnedRoot: null,
        },
      };
    });
  };

  const userVisits = () => {
    const status = s.rollout.status;
    const roll = random();
    let action: UserAction | null = null;
    if (!options.chaos) action = status === "awaiting-approval" ? "approve" : null;
    else if (status === "awaiting-approval") action = roll < 0.8 ? "approve" : roll < 0.9 ? "pause" : null;
    else if (status === "halted") action = roll < 0.1 ? "abort" : roll < 0.8 ? "resume" : null;
    else if (status === "paused") action = roll < 0.3 ? "resume" : null;
    // Pausing or aborting with reboots in flight is what tests the rules.
    else if (status === "running" && s.nodes.some((n) => n.status === "rebooting")) {
      action = roll < 0.01 ? "abort" : roll < 0.1 ? "pause" : null;
    }
    if (!action) return;
    const result = applyUserActionToSnapshot(s, action, new Date(now), user);
    if ("error" in result) throw new Error(result.error);
    s = result.snapshot;
    transitions.push(...result.transitions);
    history.push({ at: new Date(now), snapshot: s });
  };

  let steps = 0;
  for (; steps < 50_000; steps++) {
    const at = new Date(now);
    const decision = decide(s, at);
    const applied = applyActions(s, decision.actions, at);
    s = applied.snapshot;
    transitions.push(...applied.transitions);
    history.push({ at, snapshot: s });
    expect(decide(s, at).actions, `decide is idempotent at step ${steps}`).toEqual([]);
    for (const node of s.nodes) {
      if (node.status === "rebooting" && !scheduled.has(node.nodeId)) {
        scheduled.add(node.nodeId);
        agentReacts(node);
      }
    }

    const ended = isTerminal("rollout", s.rollout.status);
    const inFlight = s.nodes.some((n) => n.status === "rebooting");
    const leftover = s.nodes.some((n) => n.status === "pending");
    if (ended && !inFlight && !leftover && events.length === 0) break;

    const needsUser = ["awaiting-approval", "halted", "paused"].includes(s.rollout.status) || options.chaos;
    const candidates = [
      decision.wakeAt?.getTime(),
      events.length > 0 ? Math.min(...events.map((e) => e.at)) : undefined,
      needsUser && !ended ? nextUserVisit : undefined,
    ].filter((t): t is number => t !== undefined);
    if (candidates.length === 0) throw new Error(`stuck at step ${steps}: ${s.rollout.status}`);
    now = Math.min(...candidates);

    events.sort((a, b) => a.at - b.at || a.seq - b.seq);
    while (events.length > 0 && events[0]!.at <= now) {
      const event = events.shift()!;
      s = {
        ...s,
        nodes: s.nodes.map((n) => (n.nodeId === event.nodeId ? { ...n, ...event.change(n) } : n)),
      };
      history.push({ at: new Date(now), snapshot: s });
    }
    if (now >= nextUserVisit) {
      if (!ended) userVisits();
      // A user watching a batch acts within seconds, else looks in now and then.
      const watching = s.batches.some((b) => b.status === "running");
      nextUserVisit = now + (watching ? between(2_000, 20_000) : between(60_000, 1_200_000));
    }
  }
  return { final: s, history, transitions, fates, steps };
}

const fleetPlan: RolloutPlanInput = {
  canary: { count: 1 },
  batch: { percent: 10 },
  maxUnavailable: 5,
  settleSec: 30,
  approveAfterCanary: true,
  targetImageVersion: TARGET,
  whenNotStaged: "skip",
  gate: { returnTimeoutSec: 300, requiredUnits: ["demo-ordinary.service"], maxDowntimeMs: 20_000 },
  failureThreshold: { percent: 2 },
};

describe("simulated rollouts of 250 nodes", () => {
  it("without failures, complete with every node succeeded in the planned batch order", () => {
    const run = simulate({ seed: 1, nodes: 250, plan: fleetPlan, failureRate: 0, chaos: false });
    const { final } = run;
    expect(checkInvariants(run.history)).toEqual([]);
    expect(final.rollout.status).toBe("completed");
    expect(final.nodes.every((n) => n.status === "succeeded")).toBe(true);
    // 1 canary, then 25 nodes (10 % of 250) per batch: 10 batches, the last one 24.
    expect(final.batches.length).toBe(11);
    expect(final.nodes.filter((n) => n.batchIndex === 10).length).toBe(24);
    // Reboots started in the order of the nodes, each batch after the previous one settled.
    const starts = final.nodes.map((n) => n.rebootStartedAt!.getTime());
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const batch of final.batches.slice(1)) {
      const previous = final.batches[batch.index - 1]!;
      expect(batch.startedAt!.getTime()).toBeGreaterThanOrEqual(previous.finishedAt!.getTime() + 30_000);
      for (const node of final.nodes.filter((n) => n.batchIndex === batch.index)) {
        expect(node.rebootStartedAt!.getTime()).toBeGreaterThanOrEqual(batch.startedAt!.getTime());
        expect(node.rebootStartedAt!.getTime()).toBeLessThanOrEqual(batch.finishedAt!.getTime());
      }
    }
    expect(run.transitions.filter((t) => t.to === "awaiting-approval").length).toBe(1);
  });

  it("is deterministic for a seed", () => {
    const a = simulate({ seed: 7, nodes: 250, plan: fleetPlan, failureRate: 0.1, chaos: true });
    const b = simulate({ seed: 7, nodes: 250, plan: fleetPlan, failureRate: 0.1, chaos: true });
    expect(JSON.stringify(a.transitions)).toBe(JSON.stringify(b.transitions));
  });

  const windowed: RolloutPlanInput = {
    ...fleetPlan,
    // 40 minutes a night: the rollout takes several nights, and batches wait for the window mid-way.
    window: { days: ["mon", "tue", "wed", "thu", "fri"], start: "22:00", end: "22:40", timeZone: "Europe/Berlin" },
  };

  const seeds = [11, 12, 13, 14, 15, 16, 17, 18];
  const planFor = (seed: number) => (seed % 2 === 0 ? windowed : { ...fleetPlan, whenNotStaged: "fail" as const });
  const runs = new Map(
    seeds.map((seed) => [seed, simulate({ seed, nodes: 250, plan: planFor(seed), failureRate: 0.12, chaos: true })]),
  );

  it("cover completions, aborts with reboots in flight, halts, and nights outside the window", () => {
    const all = [...runs.values()];
    const statuses = all.map((r) => r.final.rollout.status);
    expect(statuses).toContain("completed");
    expect(statuses).toContain("aborted");
    const abortedMidway = all.filter(
      (r) =>
        r.final.rollout.status === "aborted" &&
        r.final.nodes.some((n) => n.status === "succeeded") &&
        r.final.nodes.some((n) => n.status === "cancelled"),
    );
    expect(abortedMidway.length).toBeGreaterThan(0);
    expect(all.every((r) => r.transitions.some((t) => t.to === "halted"))).toBe(true);
    const windowedSpansNights = all.filter(
      (r, i) => seeds[i]! % 2 === 0 && r.history.at(-1)!.at.getTime() - T0.getTime() > 86_400_000,
    );
    expect(windowedSpansNights.length).toBeGreaterThan(0);
  });

  for (const seed of seeds) {
    it(`keep every invariant with injected failures and a restless user (seed ${seed})`, () => {
      const plan = rolloutPlan.parse(planFor(seed));
      const run = runs.get(seed)!;
      expect(checkInvariants(run.history)).toEqual([]);
      const { final } = run;
      expect(["completed", "aborted"]).toContain(final.rollout.status);
      expect(final.nodes.every((n) => isTerminal("node", n.status))).toBe(true);
      if (final.rollout.status === "completed") {
        expect(final.batches.every((b) => b.status === "done")).toBe(true);
        expect(final.nodes.some((n) => n.status === "cancelled")).toBe(false);
      }
      // Each node ended as its fate says, whenever its turn came.
      const ended = new Map(run.transitions.filter((t) => t.machine === "node").map((t) => [t.subject, t]));
      for (const node of final.nodes) {
        const fate = run.fates.get(node.nodeId)!;
        const last = ended.get(node.nodeId);
        if (node.status === "cancelled") continue;
        const expected =
          fate === "ok" ? "succeeded" : fate === "unstaged" && plan.whenNotStaged === "skip" ? "skipped" : "failed";
        expect(`${node.nodeId} ${fate} ${node.status}`).toBe(`${node.nodeId} ${fate} ${expected}`);
        const reasons: Record<Fate, RegExp> = {
          ok: /passed the health gate/,
          refuse: /^the agent refused the reboot: a shutdown is already running$/,
          vanish: /^did not come back within 300 s$/,
          slow: /^did not come back within 300 s$/,
          escalate:
            /^escalated to a full reboot \(boot id changed\); downtime 44600 ms exceeds the budget of 20000 ms$/,
          "wrong-image": /^image version is 1, expected 2$/,
          unstaged: /^image version 2 is not staged at \/run\/nextroot$/,
          offline: /^node is offline$/,
        };
        expect(last?.reason).toMatch(reasons[fate]);
      }
      // Halts happened and were resumed or ended in an abort.
      const halts = run.transitions.filter((t) => t.to === "halted");
      expect(halts.every((t) => t.actor.kind === "engine")).toBe(true);
    });
  }
});
