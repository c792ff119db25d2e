import { phaseDurations, phaseTimestampsOf } from "@softfleet/fleet";
import type { AgentEvent } from "@softfleet/protocol";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

type RebootRecord = Extract<AgentEvent, { type: "reboot-record" }>;

/** Seconds: a soft-reboot's phases run from milliseconds to a minute; a full reboot's to minutes. */
const PHASE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** Seconds from an event's arrival to its ack (ingest lag). */
const ACK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const PHASES = [
  ["signalToShutdownMs", "signal_to_shutdown"],
  ["shutdownMs", "shutdown"],
  ["bootMs", "boot"],
  ["reconnectMs", "reconnect"],
  ["totalMs", "total"],
] as const;

/**
 * What the agents' gateway counts as it works, for /metrics. Labels are
 * closed sets (message kinds, event types, outcomes, phases): no label per
 * node, agent or value it sends.
 */
export class GatewayMetrics {
  private readonly messages: Counter<"kind">;
  private readonly events: Counter<"type" | "outcome">;
  private readonly acks: Histogram;
  private readonly reboots: Counter<"outcome">;
  private readonly phases: Histogram<"kind" | "phase">;
  private readonly payloads: Counter<"payload" | "outcome">;

  constructor(registry: Registry) {
    this.messages = new Counter({
      name: "softfleet_agent_messages_total",
      help: "Frames received from agents, by message kind (invalid: not a message of the protocol).",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.events = new Counter({
      name: "softfleet_agent_events_total",
      help: "Agents' events handled, by type and outcome (stored, duplicate: stored before, refused: never storable, retry: not stored yet).",
      labelNames: ["type", "outcome"],
      registers: [registry],
    });
    this.acks = new Histogram({
      name: "softfleet_agent_event_ack_seconds",
      help: "From an agent's event arriving to its ack, sent once it is durable (ingest lag).",
      buckets: ACK_BUCKETS,
      registers: [registry],
    });
    this.reboots = new Counter({
      name: "softfleet_reboots_total",
      help: "Reboots by outcome: soft (a soft-reboot recorded), escalated (a soft-reboot asked for, a full reboot done), full (a full reboot recorded), failed (a reboot a rollout commanded that it failed: refused, not back in time, back wrong).",
      labelNames: ["outcome"],
      registers: [registry],
    });
    this.payloads = new Counter({
      name: "softfleet_reboot_payloads_total",
      help: "What became of the payloads across stored reboots: units configured to survive (SurviveFinalKillSignal=yes) that survived or restarted, and Podman containers kept running or restarted.",
      labelNames: ["payload", "outcome"],
      registers: [registry],
    });
    this.phases = new Histogram({
      name: "softfleet_reboot_phase_seconds",
      help: "Each phase of a stored reboot, from the node's own monotonic clock (a phase with an unknown end is not observed).",
      labelNames: ["kind", "phase"],
      buckets: PHASE_BUCKETS,
      registers: [registry],
    });
  }

  message(kind: string) {
    this.messages.inc({ kind });
  }

  event(type: AgentEvent["type"], outcome: "stored" | "duplicate" | "refused" | "retry") {
    this.events.inc({ type, outcome });
  }

  acked(seconds: number) {
    this.acks.observe(seconds);
  }

  /** Reboots a rollout commanded and failed (counted by the engine, in the process that leads). */
  rebootsFailed(count: number) {
    this.reboots.inc({ outcome: "failed" }, count);
  }

  /** A reboot record stored now (not a duplicate): its outcome and phases. */
  rebootRecord(record: RebootRecord) {
    const outcome = record.kind === "soft-reboot" ? "soft" : record.escalated ? "escalated" : "full";
    this.reboots.inc({ outcome });
    for (const unit of record.units) {
      if (!unit.survives) continue;
      if (unit.outcome === "survived" || unit.outcome === "restarted") {
        this.payloads.inc({ payload: "surviving-unit", outcome: unit.outcome === "survived" ? "kept" : "restarted" });
      }
    }
    for (const container of record.containers ?? []) {
      if (container.outcome === "kept-running" || container.outcome === "restarted") {
        this.payloads.inc({
          payload: "container",
          outcome: container.outcome === "kept-running" ? "kept" : "restarted",
        });
      }
    }
    const durations = phaseDurations(phaseTimestampsOf(record.phases), record.kind);
    for (const [key, phase] of PHASES) {
      const ms = durations[key];
      if (ms !== null) this.phases.observe({ kind: record.kind, phase }, ms / 1000);
    }
  }
}

/** What the gateway's gauges read at scrape time. */
export interface GatewayState {
  /** Agents connected now, and of them those that said hello. */
  connections(): { open: number; greeted: number };
  /** Per lane of batched events: events waiting to be written, and its database connections. */
  lanes(): Array<{ lane: string; backlog: number; total: number; idle: number; waiting: number }>;
}

export function registerGatewayGauges(registry: Registry, state: GatewayState) {
  new Gauge({
    name: "softfleet_agent_connections",
    help: "Agents' WebSocket connections to this process (greeted: they said hello).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const { open, greeted } = state.connections();
      this.set({ state: "open" }, open);
      this.set({ state: "greeted" }, greeted);
    },
  });
  new Gauge({
    name: "softfleet_event_batch_backlog",
    help: "Agents' events waiting to be written, per lane (signal: logind's shutdown signals; event: the others).",
    labelNames: ["lane"],
    registers: [registry],
    collect() {
      for (const lane of state.lanes()) this.set({ lane: lane.lane }, lane.backlog);
    },
  });
  new Gauge({
    name: "softfleet_db_lane_connections",
    help: "The event lanes' database connections: open (total), idle, and requests waiting for one.",
    labelNames: ["lane", "state"],
    registers: [registry],
    collect() {
      for (const { lane, total, idle, waiting } of state.lanes()) {
        this.set({ lane, state: "total" }, total);
        this.set({ lane, state: "idle" }, idle);
        this.set({ lane, state: "waiting" }, waiting);
      }
    },
  });
}
