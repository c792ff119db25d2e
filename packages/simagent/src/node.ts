import {
  blameWindow,
  buildRebootRecord,
  type Command,
  containerContinuity,
  controlEndpoint,
  createIdGenerator,
  ensureCredential,
  GatewayConnection,
  handleShutdownNotice,
  linkContinuity,
  recordEventId,
  runCommand,
  type Spool,
  unitBlame,
} from "@softfleet/agent";
import { AGENT_WS_PATH, type AgentEvent, type NodeIdentity } from "@softfleet/protocol";
import packageJson from "../package.json" with { type: "json" };
import { SimulationError } from "./errors";
import { type Fault, REFUSAL_REASON } from "./faults";
import type { HistoryEntry, HistoryOf, HistoryType, NewHistoryEntry } from "./history";
import type { PlannedBoot, SimulatedHost, Snapshot } from "./host";
import type { Seed } from "./random";
import { planReboot } from "./timings";

export const SIMAGENT_VERSION = `simagent-${packageJson.version}`;
/** Where a simulated host says it keeps its images (the real agent's default). */
const SIMULATED_IMAGES_DIR = "/var/lib/softfleet/images";

export interface NodeSettings {
  seed: Seed;
  labels: Record<string, string>;
  controlUrl: string;
  enrollmentToken: string;
  /** The node's own folder: its credential (the agent's state dir) and spool (its /run/softfleet). */
  stateDir: string;
  spool: Spool;
  timeScale: number;
  ackTimeoutMs: number;
  onChange: () => void;
}

/** up: running (its agent may be stopped); rebooting: between the shutdown and its agent's start; down: never came back. */
export type NodeStatus = "up" | "rebooting" | "down";

type Pending = { kind: "soft-reboot" | "full-reboot"; before: Snapshot; beforeLost: boolean };

/**
 * One simulated node: the real agent's GatewayConnection, spool, command
 * handling and shutdown handling in front of a SimulatedHost. A soft-reboot
 * takes the agent down with userspace and starts a new one when the host has
 * booted, which reports the reboot as the real agent would.
 */
export class SimulatedNode {
  nodeId: string | null = null;
  status: NodeStatus = "up";
  fault: Fault | null;
  /** The agent has been welcomed by the control plane at least once. */
  connectedOnce = false;
  private readonly log: HistoryEntry[] = [];
  private connection: GatewayConnection | null = null;
  private credential: string | null = null;
  private readonly handledCommands = new Set<string>();
  private shutdownUnderWay = false;
  /**
   * The images this host keeps in its images folder, as the real agent's image stager does:
   * the one it first ran and every one staged since. A rollback returns only to one of them.
   */
  private readonly keptImages = new Set<string>();
  private agentWanted = true;
  private pending: Pending | null = null;
  private bootTimer: NodeJS.Timeout | null = null;
  private reboots = 0;
  private stopped = false;

  constructor(
    readonly host: SimulatedHost,
    fault: Fault | null,
    private readonly settings: NodeSettings,
  ) {
    this.fault = fault;
    this.keptImages.add(host.imageVersion);
  }

  get hostname(): string {
    return this.host.hostname;
  }
  get machineId(): string {
    return this.host.machineId;
  }
  get bootId(): string {
    return this.host.bootId;
  }
  get softRebootsCount(): number {
    return this.host.softRebootsCount;
  }
  get imageVersion(): string {
    return this.host.imageVersion;
  }
  get stagedVersion(): string | null {
    return this.host.staged;
  }
  get labels(): Record<string, string> {
    return this.settings.labels;
  }
  get agentConnected(): boolean {
    return this.connection?.connected ?? false;
  }
  get history(): readonly HistoryEntry[] {
    return this.log;
  }
  /** The entries of one type, oldest first. */
  historyOf<T extends HistoryType>(type: T): HistoryOf<T>[] {
    return this.log.filter((entry): entry is HistoryOf<T> => entry.type === type);
  }
  monotonicUsec(): bigint {
    return this.host.monotonicUsec();
  }

  identity(): NodeIdentity {
    return {
      machineId: this.host.machineId,
      hostname: this.host.hostname,
      bootId: this.host.bootId,
      osRelease: this.host.osRelease(),
      systemdVersion: 257,
      agentVersion: SIMAGENT_VERSION,
      labels: this.settings.labels,
      simulated: true,
    };
  }

  /** Enrolls with the token (or reuses the credential saved in its folder), retrying what may pass. */
  async enroll(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const saved = await ensureCredential({
          controlUrl: this.settings.controlUrl,
          stateDir: this.settings.stateDir,
          token: this.settings.enrollmentToken,
          machineId: this.host.machineId,
          hostname: this.host.hostname,
        });
        this.nodeId = saved.nodeId;
        this.credential = saved.credential;
        this.record({ type: "enrolled", nodeId: saved.nodeId });
        this.settings.onChange();
        return;
      } catch (error) {
        const retryable = (error as { retryable?: boolean }).retryable === true;
        if (!retryable || attempt >= 5 || this.stopped) {
          throw new SimulationError("enrollment", `${this.hostname}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  /** Starts the agent process (again); a host that is rebooting starts it when it has booted. */
  startAgent(): void {
    this.agentWanted = true;
    if (this.status !== "up" || this.connection || !this.credential || this.stopped) return;
    this.record({ type: "agent-started" });
    this.launchAgent();
  }

  /** Stops the agent process; the host keeps running. */
  stopAgent(): void {
    this.agentWanted = false;
    if (!this.connection) return;
    this.record({ type: "agent-stopped" });
    this.dropAgent();
  }

  /** Stages an image at /run/nextroot; the agent tells the control plane at once (the real one polls). */
  stage(imageVersion: string): void {
    if (this.status !== "up") {
      throw new SimulationError("not-up", `${this.hostname} is ${this.status}: nothing can be staged on it`);
    }
    this.host.staged = imageVersion;
    this.keptImages.add(imageVersion);
    this.record({ type: "staged", imageVersion });
    this.connection?.sendState(this.host.state());
  }

  setFault(fault: Fault | null): void {
    this.fault = fault;
    this.record({ type: "fault", fault });
  }

  stop(): void {
    this.stopped = true;
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = null;
    this.dropAgent();
  }

  private record(entry: NewHistoryEntry) {
    this.log.push({ ...entry, at: new Date() } as HistoryEntry);
  }

  private launchAgent(): void {
    const connection = new GatewayConnection({
      url: controlEndpoint(this.settings.controlUrl, AGENT_WS_PATH, "ws"),
      spool: this.settings.spool,
      // A new agent process: ids from its own generator on the host's clock, like the real one.
      newEventId: createIdGenerator(() => this.host.monotonicUsec()),
      heartbeatSec: 10,
      hello: async () => ({ identity: this.identity(), state: this.host.state() }),
      onConnected: () => this.connected(connection),
      onCommand: (command) => this.command(connection, command),
    });
    this.connection = connection;
    connection.start(this.credential!);
  }

  private dropAgent(): void {
    this.connection?.stop();
    this.connection = null;
  }

  private connected(connection: GatewayConnection): void {
    const connectedUsec = this.host.monotonicUsec();
    this.record({
      type: "connected",
      monotonicUsec: connectedUsec.toString(),
      bootId: this.host.bootId,
      softRebootsCount: this.host.softRebootsCount,
      imageVersion: this.host.imageVersion,
    });
    if (this.pending) {
      const { before, ...assessment } = this.pending;
      const present = this.host.present();
      const reboot = { ...assessment, before };
      const blame = unitBlame(this.host.unitTimes, blameWindow(reboot, present));
      const record = buildRebootRecord(reboot, present, connectedUsec, {
        blame,
        pinnedRoot: this.host.pinnedRoot,
        clientGaps: reboot.kind === "soft-reboot" ? this.host.clientGaps : undefined,
        containers: containerContinuity(before.containers ?? [], this.host.containers()),
        network: linkContinuity(before.network ?? [], this.host.network()),
      });
      const eventId = connection.publish(record, recordEventId(present) ?? undefined);
      this.pending = null;
      this.record({ type: "reboot-record", eventId, record });
    }
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      this.settings.onChange();
    }
  }

  private command(connection: GatewayConnection, command: Command): void {
    // Delivered again (a resend, a reconnect): answered once, done once.
    if (this.handledCommands.has(command.id)) {
      this.record({ type: "duplicate-command", commandId: command.id });
      return;
    }
    this.handledCommands.add(command.id);
    const publish = (event: AgentEvent) => {
      if (event.type === "command-result") {
        this.record({ type: "command", commandId: event.commandId, outcome: event.outcome, reason: event.reason });
      }
      return connection.publish(event);
    };
    if (this.fault === "refuse") {
      publish({ type: "command-result", commandId: command.id, outcome: "refused", reason: REFUSAL_REASON });
      return;
    }
    if (command.command.type === "rollback") {
      this.rollBack(connection, command.id, command.command.version, publish);
      return;
    }
    if (command.command.type === "stage") {
      this.simulateStage(connection, command.id, command.command.version, publish);
      return;
    }
    void runCommand(command as Command & { command: { type: "soft-reboot" } }, {
      publish,
      waitForAck: (id, ms) => connection.waitForAck(id, ms),
      nextroot: () => ({ staged: this.host.staged !== null }),
      blockers: async () => [],
      shutdownUnderWay: () => this.shutdownUnderWay,
      // logind takes the request and announces the shutdown right after answering.
      // A stopped fleet is a halted machine: nothing more happens on it.
      rebootWithFlags: async () => {
        if (this.stopped) return;
        this.shutdownUnderWay = true;
        setImmediate(() => this.shutdown(connection).catch((error) => this.fail("the shutdown", error)));
      },
      ackTimeoutMs: this.settings.ackTimeoutMs,
    }).catch((error) => this.fail(`command ${command.id}`, error));
  }

  /**
   * A rollback command: the kept image staged again (nothing to download), then
   * a soft-reboot into it; refused, as the real agent does, when it is not kept.
   */
  private rollBack(
    connection: GatewayConnection,
    commandId: string,
    version: string,
    publish: (event: AgentEvent) => string,
  ): void {
    const refuse = (reason: string) => publish({ type: "command-result", commandId, outcome: "refused", reason });
    if (this.shutdownUnderWay) return void refuse("a shutdown is already under way on this node");
    if (!this.keptImages.has(version)) {
      return void refuse(
        `no image of IMAGE_VERSION ${version} is kept in ${SIMULATED_IMAGES_DIR}: this node cannot roll back to it`,
      );
    }
    publish({ type: "command-result", commandId, outcome: "accepted", reason: null });
    this.host.staged = version;
    this.record({ type: "staged", imageVersion: version });
    connection.sendState(this.host.state());
    if (this.stopped) return;
    this.shutdownUnderWay = true;
    setImmediate(() => this.shutdown(connection).catch((error) => this.fail("the shutdown", error)));
  }

  /**
   * A stage command on a simulated host: accepted, a few progress steps of a
   * 100 MB image, then staged (nothing is downloaded).
   */
  private simulateStage(
    connection: GatewayConnection,
    commandId: string,
    version: string,
    publish: (event: AgentEvent) => string,
  ): void {
    publish({ type: "command-result", commandId, outcome: "accepted", reason: null });
    const total = 100 * 1024 * 1024;
    const steps = 4;
    let step = 0;
    const started = Date.now();
    const tick = () => {
      if (this.stopped) return;
      step++;
      if (step <= steps) {
        connection.sendStageProgress(commandId, {
          phase: "download",
          bytesDone: (total / steps) * step,
          bytesTotal: total,
        });
        setTimeout(tick, 100);
        return;
      }
      this.host.staged = version;
      this.keptImages.add(version);
      this.record({ type: "staged", imageVersion: version });
      connection.sendState(this.host.state());
      publish({
        type: "stage-result",
        commandId,
        outcome: "staged",
        version,
        code: null,
        reason: null,
        bytes: total,
        reused: false,
        seconds: (Date.now() - started) / 1000,
      });
    };
    setTimeout(tick, 100);
  }

  private fail(what: string, error: unknown): void {
    if (!this.stopped) console.error(`[sim] ${this.hostname}: ${what} failed: ${(error as Error).message}`);
  }

  /** logind's PrepareForShutdownWithMetadata(true, soft-reboot), handled by the real agent's code. */
  private async shutdown(connection: GatewayConnection): Promise<void> {
    if (this.stopped) return;
    this.status = "rebooting";
    const signalUsec = this.host.monotonicUsec();
    let before = null as Snapshot | null;
    const report = await handleShutdownNotice({ start: true, type: "soft-reboot" }, signalUsec, {
      publish: (event) => connection.publish(event),
      waitForAck: (id, ms) => connection.waitForAck(id, ms),
      saveBefore: (signal) => {
        before = this.host.snapshot(signal);
      },
      refreshBefore: async () => {},
      releaseInhibitor: () => ({ gone: Promise.resolve() }),
      retakeInhibitor: () => {},
      bootId: this.host.bootId,
      softRebootsCount: this.host.softRebootsCount,
      ackTimeoutMs: this.settings.ackTimeoutMs,
    });
    if (this.stopped) return;
    const lockReleasedUsec = this.host.monotonicUsec();
    this.record({
      type: "shutdown-signal",
      eventId: report.eventId,
      monotonicUsec: signalUsec.toString(),
      acked: report.acked,
    });
    // The agent is a unit like any other: it goes down with userspace.
    this.dropAgent();
    this.reboots += 1;
    const fault = this.fault;
    const timings = planReboot({
      seed: this.settings.seed,
      index: this.host.index,
      rebootNumber: this.reboots,
      fault,
      timeScale: this.settings.timeScale,
    });
    if (fault === "never-returns") {
      this.status = "down";
      this.record({ type: "down", kind: "never-returns", timings });
      this.settings.onChange();
      return;
    }
    const plan =
      fault === "escalate"
        ? this.host.planFullReboot(timings, lockReleasedUsec)
        : this.host.planSoftReboot(
            timings,
            lockReleasedUsec,
            fault === "wrong-image" ? this.host.imageVersion : (this.host.staged ?? this.host.imageVersion),
            fault === "pins-old-root",
          );
    this.record({ type: "down", kind: plan.kind, timings });
    // A full reboot empties /run: the runtime snapshot is lost (the record says so), the persistent one is read.
    this.pending = {
      kind: plan.kind,
      before: before ?? this.host.snapshot(null),
      beforeLost: plan.kind === "full-reboot",
    };
    this.bootWhenDue(plan);
  }

  private bootWhenDue(plan: PlannedBoot): void {
    this.bootTimer = setTimeout(() => {
      this.bootTimer = null;
      if (this.stopped) return;
      // Timers may fire a little early; the host's clock decides.
      if (plan.downForMs() > 0) return this.bootWhenDue(plan);
      plan.boot();
      if (plan.kind === "full-reboot") this.settings.spool.ack(this.settings.spool.pending().map((event) => event.id));
      this.shutdownUnderWay = false;
      this.status = "up";
      this.record({
        type: "booted",
        kind: plan.kind,
        bootId: this.host.bootId,
        softRebootsCount: this.host.softRebootsCount,
      });
      if (this.agentWanted) this.launchAgent();
    }, plan.downForMs());
  }
}
