import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageBus } from "dbus-next";
import { type RunningAgent, startAgent } from "../agent";
import { type AgentConfig, agentConfigSchema } from "../config";
import { closeBus } from "../dbus/bus";
import { setLogSink } from "../log";
import type { ShutdownReport } from "../shutdown";
import { makeFakeHost } from "./fake-host";
import { type FakeGateway, startFakeGateway, until } from "./gateway";
import { type PrivateBus, startPrivateBus } from "./private-bus";
import { connectStandIn, createFakeSystemd, FakeLogind, type FakeUnit, type ManagerValues } from "./stand-ins";

export const invocation = (digit: string) => Buffer.from(digit.repeat(32), "hex");

export const runningUnit = (id: string, activeEnter: bigint): FakeUnit => ({
  ActiveState: "active",
  SubState: "running",
  InvocationID: invocation(id),
  ActiveEnterTimestampMonotonic: activeEnter,
  InactiveEnterTimestampMonotonic: 0n,
});

/**
 * One node for an integration test: a private dbus-daemon with stand-in
 * logind and systemd, a fake host root, a stand-in gateway, and the agent
 * (started with `start`, restartable on the same folders).
 */
export async function createNode(
  options: {
    oldSystemd?: boolean;
    ackTimeoutMs?: number;
    rebootCommandLimit?: { count: number; perSeconds: number };
    /** A systemd with SoftRebootStartTimestamp (newer than the lab's 257). */
    softRebootStart?: boolean;
    /** How stage commands' stagers start (the real one is a systemd unit). */
    launchStager?: (commandId: string, config: AgentConfig) => Promise<void>;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "sf-agent-it-"));
  const bus: PrivateBus = await startPrivateBus();
  const standIn: MessageBus = await connectStandIn(bus.address, ["org.freedesktop.login1", "org.freedesktop.systemd1"]);
  const logind = new FakeLogind(standIn);
  standIn.export("/org/freedesktop/login1", logind);
  const manager: ManagerValues = {
    Version: options.oldSystemd ? "254.5-1" : "257.9-1~deb13u1",
    SoftRebootsCount: 0,
    ShutdownStartTimestampMonotonic: 0n,
    UserspaceTimestampMonotonic: 1_500_000n,
    FinishTimestampMonotonic: 4_000_000n,
    ...(options.softRebootStart ? { SoftRebootStartTimestampMonotonic: 0n } : {}),
  };
  const systemd = createFakeSystemd(standIn, manager, !options.oldSystemd);
  systemd.setUnit("keeper.service", runningUnit("a", 2_000_000n));
  systemd.setUnit("web.service", runningUnit("b", 3_000_000n));
  const host = makeFakeHost(join(dir, "root"));
  const gateway: FakeGateway = await startFakeGateway();
  const logs: string[] = [];
  const restoreLog = setLogSink((line) => logs.push(line));
  const reports: ShutdownReport[] = [];
  const fatal: string[] = [];
  let agent: RunningAgent | null = null;

  const config = agentConfigSchema.parse({
    controlUrl: gateway.url,
    enrollmentToken: "enroll-token-123",
    watchUnits: ["keeper.service", "web.service"],
    stateDir: join(dir, "state"),
    runtimeDir: join(dir, "run"),
    ackTimeoutMs: options.ackTimeoutMs,
    rebootCommandLimit: options.rebootCommandLimit ?? null,
    bus: bus.address,
    staging: { imagesDir: join(dir, "images"), keepPaths: [] },
  });

  async function start() {
    agent = await startAgent({
      config,
      host: { root: host.root },
      // The real systemd-inhibit, finding the stand-in logind through DBUS_SYSTEM_BUS_ADDRESS.
      inhibitor: {
        env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address },
        settleMs: 100,
        minRetryMs: 100,
        maxRetryMs: 400,
      },
      statePollMs: 100,
      finishWait: { pollMs: 50, maxMs: 5000 },
      backoff: { minMs: 20, maxMs: 200 },
      onShutdownHandled: (report) => reports.push(report),
      onFatal: (reason) => fatal.push(reason),
      ...(options.launchStager
        ? {
            launchStager: (commandId: string) => options.launchStager!(commandId, config),
            stagerRunning: async () => null,
          }
        : {}),
    });
    return agent;
  }

  return {
    dir,
    bus,
    logind,
    systemd,
    manager,
    host,
    gateway,
    logs,
    reports,
    fatal,
    config,
    start,
    get agent() {
      if (!agent) throw new Error("the agent is not started");
      return agent;
    },
    async stopAgent() {
      await agent?.stop();
      agent = null;
    },
    /** Both signals, as logind >= 255 sends them. */
    announce(start: boolean, type: string) {
      logind.PrepareForShutdownWithMetadata(start, type);
      logind.PrepareForShutdown(start);
    },
    events: (type: string) => [...gateway.stored.entries()].filter(([, event]) => event.type === type),
    async connected() {
      await until(() => gateway.frames.some((f) => f.kind === "hello") && agent?.connection.connected, 5000, "welcome");
    },
    async close() {
      await agent?.stop().catch(() => {});
      await gateway.close();
      closeBus(standIn);
      await bus.stop();
      setLogSink(restoreLog);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type Node = Awaited<ReturnType<typeof createNode>>;
