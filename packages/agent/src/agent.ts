import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AGENT_WS_PATH,
  blocksShutdown,
  bootId as bootIdSchema,
  type ContainerState,
  machineId as machineIdSchema,
  type NetworkLink,
  type PinnedRoot,
  type PortableImage,
  type ShutdownType,
  systemdLimits,
} from "@softfleet/protocol";
import { readProberState } from "./client-gaps";
import { type RebootCommand, runCommand } from "./commands";
import type { AgentConfig } from "./config";
import { GatewayConnection } from "./connection";
import { closeBus, onBusLost, openBusWhenUp, uniqueName } from "./dbus/bus";
import { holdsDelayLock, listInhibitors, rebootWithFlags, watchShutdownSignals } from "./dbus/logind";
import { describeNetwork } from "./dbus/network";
import { listPortableImages } from "./dbus/portable";
import { type ShutdownRequest, watchShutdownRequests } from "./dbus/shutdown-requests";
import {
  discoverPayloads,
  PayloadKindCache,
  readFinishUsec,
  readUnits,
  readUnitTimes,
  startUnit,
  systemdMajor,
  unitRunning,
  watchReloads,
} from "./dbus/systemd";
import { controlEndpoint, ensureCredential, loadCredential } from "./enroll";
import { HandledCommands } from "./handled-commands";
import * as hostFiles from "./host";
import { createIdGenerator } from "./ids";
import { type InhibitorOptions, ShutdownInhibitor } from "./inhibitor";
import { errorText, log } from "./log";
import { type HostIdentity, nodeIdentityOf, nodeStateOf, type Observation, observe, stateKey } from "./node-state";
import { findPinnedRoot, readRootDevice } from "./pinned-root";
import { listContainers } from "./podman";
import { RebootLimit } from "./reboot-limit";
import { type FinishWait, gatherLooks, reportReboot, waitForBootFinish } from "./reboot-report";
import { assessRestart, type RebootAssessment, snapshotOf } from "./record";
import { type RollbackCommandMessage, runRollbackCommand } from "./rollback-command";
import { handleShutdownNotice, type ShutdownReport } from "./shutdown";
import { loadSnapshots, type Snapshot, saveSnapshot, snapshotFiles } from "./snapshot";
import { Spool } from "./spool";
import { runStageCommand, type StageCommandMessage, type StageDeps } from "./stage-command";
import { stagerUnit } from "./stage-files";
import { warmUpShutdownPath } from "./warm-up";

/**
 * How long a stopping agent waits for the unit read it started at the shutdown
 * signal: systemd waits for the agent's exit, so this adds to the shutdown.
 */
const STOP_REFRESH_WAIT_MS = 300;
/** A shutdown asked of logind longer ago than this did not bring the one announced now (ScheduleShutdown aside). */
const REQUEST_MAX_AGE_USEC = 600_000_000n;
/** A request seen after the signal it brought: at most this much later (the two connections' reads race). */
const LATE_REQUEST_USEC = 5_000_000n;
/** At start, discovery waits for the first welcome, or this long after the first observation. */
const DISCOVERY_WAIT_MS = 2000;
/** The agent may start before the system bus: how long it waits for it before it gives up (and systemd restarts it). */
const BUS_WAIT_MS = 90_000;

export interface AgentOptions {
  config: AgentConfig;
  host?: hostFiles.HostPaths;
  inhibitor?: InhibitorOptions;
  /** How often units and /run/nextroot are compared with what was last sent. */
  statePollMs?: number;
  /** How a stage command's stager is started and watched (default: softfleet-stager@<id>.service over D-Bus). */
  launchStager?: (commandId: string) => Promise<void>;
  stagerRunning?: (commandId: string) => Promise<boolean | null>;
  /** How often the processes are scanned again while an old root is still held (default: the config's). */
  pinnedScanMs?: number;
  finishWait?: FinishWait;
  backoff?: { minMs: number; maxMs: number };
  /** For tests and the benchmark: each handled shutdown signal with the delay the agent added. */
  onShutdownHandled?: (report: ShutdownReport) => void;
  /** The system bus went away: the agent cannot work, the caller should exit (systemd restarts it). */
  onFatal?: (reason: string) => void;
}

export interface RunningAgent {
  connection: GatewayConnection;
  inhibitor: ShutdownInhibitor;
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config } = options;
  // Each step of the start, in ms since the process started: logged once, at the first connection.
  const started: Record<string, number> = {};
  const mark = (step: string) => {
    started[step] ??= Math.round(performance.now());
  };
  mark("loaded");
  const host = options.host ?? hostFiles.realHost;
  const identity = readIdentity(host);
  // A soft-reboot into a new image changes it; the old one may still be held by survivors.
  const rootDevice = await readRootDevice(host).catch(() => null);
  // Roots of earlier cycles still held when last looked at, and what holds them (undefined: not looked yet).
  let oldRoots: string[] = [];
  let pinned: PinnedRoot | null | undefined;
  // The node's Podman containers and portable images when last listed (undefined: none of that here).
  let containers: ContainerState[] | undefined;
  let portables: PortableImage[] | undefined;
  // The links systemd-networkd manages when last described (undefined: no networkd here).
  let network: NetworkLink[] | undefined;
  const payloadFacts = () => ({ pinnedRoot: pinned, containers, portables, network });
  const readContainers = async () => (await listContainers(config.podmanSocket)) ?? undefined;
  mkdirSync(config.runtimeDir, { recursive: true, mode: 0o755 });
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });

  // The connection to control first, before the bus: the agent starts early in a boot, before D-Bus
  // is up, and its TLS handshake and enrollment check run beside the rest of its start. Its first
  // hello waits for the first observation, which needs the bus.
  const spool = new Spool(join(config.runtimeDir, "spool"));
  const stopper = new AbortController();
  let shutdownUnderWay = false;
  // Set right after the signal subscription below; the shutdown handler copes with null meanwhile.
  let latest: Observation | null = null;
  // The state last sent (in a hello or a state message): a poll sends only a change.
  let sentKey = "";
  let pending: RebootAssessment | null = null;
  let currentSignal: Snapshot["signal"] = null;
  const handledCommands = new HandledCommands(config.runtimeDir);
  const rebootLimit = new RebootLimit(config.stateDir, config.rebootCommandLimit);
  const trust = {
    caFile: config.caFile,
    pinnedFingerprint: config.pinnedFingerprint,
    allowInsecure: config.allowInsecure,
  };
  let warmedUp = false;
  let hellos = 0;
  let firstObserved: (observation: Observation) => void = () => {};
  const firstObservation = new Promise<Observation>((resolve) => {
    firstObserved = resolve;
  });
  let firstWelcomed: () => void = () => {};
  const firstWelcome = new Promise<void>((resolve) => {
    firstWelcomed = resolve;
  });

  const connection = new GatewayConnection({
    url: controlEndpoint(config.controlUrl, AGENT_WS_PATH, "ws"),
    trust,
    spool,
    newEventId: createIdGenerator(),
    heartbeatSec: config.heartbeatSec,
    backoff: options.backoff,
    // `softfleet-agent --rotate-credential` replaces the file while this runs: each connection reads it.
    currentCredential: () => {
      try {
        return loadCredential(config.stateDir)?.credential ?? null;
      } catch (error) {
        log.warn("cannot read the saved credential; using the one read at start", { error: errorText(error) });
        return null;
      }
    },
    hello: async () => {
      mark("socketOpen");
      // The connection is opened beside the agent's own start: its first hello carries the first observation.
      const first = await firstObservation;
      latest = hellos++ === 0 ? (latest ?? first) : await observeNow();
      sentKey = stateKey(latest, inhibitor.state, payloadFacts());
      mark("hello");
      return {
        identity: nodeIdentityOf(identity, latest.manager, config.labels),
        state: nodeStateOf(latest, inhibitor.state, payloadFacts()),
      };
    },
    onConnected: ({ connectedUsec }) => {
      firstWelcomed();
      if (started.connected === undefined) {
        mark("connected");
        log.info("start timing (ms since the process started)", started);
      }
      reportPendingRecord(connectedUsec);
      if (!warmedUp) {
        warmedUp = true;
        warmUpShutdownPath(config.runtimeDir).catch((error) =>
          log.debug("warm-up failed", { error: errorText(error) }),
        );
      }
    },
    onCommand: (command) => {
      if (handledCommands.has(command.id)) return;
      handledCommands.add(command.id);
      if (command.command.type === "stage") {
        void runStageCommand(command as StageCommandMessage, stageDeps).catch((error) =>
          log.error("stage command failed", { commandId: command.id, error: errorText(error) }),
        );
        return;
      }
      if (command.command.type === "rollback") {
        void runRollbackCommand(command as RollbackCommandMessage, {
          ...stageDeps,
          imagesDir: config.staging.imagesDir,
          nextroot: () => hostFiles.readNextroot(host),
          rebootWithFlags: softRebootAsked,
        }).catch((error) => log.error("rollback command failed", { commandId: command.id, error: errorText(error) }));
        return;
      }
      void runCommand(command as RebootCommand, {
        publish: (event) => connection.publish(event),
        waitForAck: (id, ms) => connection.waitForAck(id, ms),
        nextroot: () => hostFiles.readNextroot(host),
        blockers: async () => {
          const locks = await Promise.race([listInhibitors(bus), sleep(config.ackTimeoutMs, [])]);
          return locks.filter(blocksShutdown);
        },
        shutdownUnderWay: () => shutdownUnderWay,
        rebootWithFlags: softRebootAsked,
        ackTimeoutMs: config.ackTimeoutMs,
        limit: rebootLimit,
      });
    },
  });

  void connectWhenEnrolled();

  const bus = await openBusWhenUp(config.bus, {
    waitMs: BUS_WAIT_MS,
    onWaiting: (reason) => log.info("waiting for the system bus to come up", { reason }),
  }).catch((error) => {
    stopper.abort();
    connection.stop();
    throw error;
  });
  mark("bus");
  onBusLost(bus, (reason) => {
    log.error("lost the system bus", { reason });
    options.onFatal?.(reason);
  });
  // The lock first: a shutdown may begin at any moment, and only a lock taken before it counts.
  const inhibitor = new ShutdownInhibitor({ verify: (pid) => holdsDelayLock(bus, pid), ...options.inhibitor });

  // What was last asked of logind (and when, on the monotonic clock): a record tells it from what logind announced.
  let lastRequest: { request: ShutdownRequest; atUsec: bigint } | null = null;
  const noteRequest = (request: ShutdownRequest) => {
    lastRequest = { request, atUsec: hostFiles.monotonicUsec() };
    log.info("shutdown asked of logind", { ...request });
  };
  const stopWatchingRequests = await watchShutdownRequests(config.bus, (request) => {
    // The agent's own calls are noted where it makes them: it knows what it asked for.
    if (request.sender !== uniqueName(bus)) noteRequest(request);
    attachLateRequest();
  });
  // The agent's own RebootWithFlags, for a command or a rollback: it checked /run/nextroot first, so even
  // SOFT_REBOOT_IF_NEXTROOT_SET_UP asks for a soft-reboot, which is what its records say was requested.
  const softRebootAsked = (flags: bigint) => {
    noteRequest({ type: "soft-reboot", method: `RebootWithFlags 0x${flags.toString(16)}`, sender: uniqueName(bus) });
    return rebootWithFlags(bus, flags);
  };
  const requestedNow = (): ShutdownType | null => {
    const seen = lastRequest;
    lastRequest = null;
    if (!seen || hostFiles.monotonicUsec() - seen.atUsec > REQUEST_MAX_AGE_USEC) return null;
    return seen.request.type;
  };
  inhibitor.take();

  const files = snapshotFiles(config.runtimeDir, config.stateDir);
  const loaded = loadSnapshots(files);
  // The configured units, and the node's payloads: every unit configured to survive a soft-reboot
  // and every service with a file descriptor store, looked for again now and then (one started later counts too).
  // Until the first discovery ends, the units watched before the agent last stopped stand in for it.
  let watchUnits: string[] = [
    ...new Set([...config.watchUnits, ...((loaded.runtime ?? loaded.persistent)?.units.map((u) => u.name) ?? [])]),
  ].slice(0, 200);
  // Containers, portable images and networkd's links are only shown, never compared at start (a record
  // lists them itself): listed beside the start, not before it, so a slow Podman, portabled or networkd
  // never delays the agent; and side by side, so none of them waits for another's bound.
  const listPayloadFacts = async () => {
    const [listedContainers, listedPortables, listedLinks] = await Promise.all([
      readContainers(),
      listPortableImages(bus),
      describeNetwork(bus),
    ]);
    containers = listedContainers;
    portables = listedPortables ?? undefined;
    network = listedLinks ?? undefined;
  };
  // Discovery reads a unit's kind once (until systemd reloads, or a minute at most).
  const kinds = new PayloadKindCache(60_000);
  await watchReloads(bus, () => kinds.clear()).catch((error) =>
    log.warn("cannot watch systemd's reloads; unit kinds are read again each minute", { error: errorText(error) }),
  );
  const discover = async () => {
    try {
      const payloads = await discoverPayloads(bus, kinds);
      const next = [...new Set([...config.watchUnits, ...payloads.survivors, ...payloads.fdStores])].slice(0, 200);
      if (next.join(" ") === watchUnits.join(" ")) return;
      watchUnits = next;
      log.info("watching the node's payloads", {
        survivors: payloads.survivors.join(",") || "none",
        fdStores: payloads.fdStores.join(",") || "none",
      });
    } catch (error) {
      log.warn("cannot list the units that survive soft-reboots or keep fd stores", { error: errorText(error) });
    }
  };
  mark("watching");
  // Discovery asks PID 1 about every unit, and its hundreds of replies keep the agent busy for a
  // while. So it waits for the first connection to control (the first hello carries the units above,
  // a later state the result), or DISCOVERY_WAIT_MS after the first observation when control is away:
  // early in a boot, the first observation's calls and the welcome would queue behind it.
  const startedUp = firstObservation.then(() => Promise.race([firstWelcome, sleep(DISCOVERY_WAIT_MS)]));
  const discovered = startedUp.then(discover).finally(() => mark("discovered"));
  void startedUp.then(listPayloadFacts);
  const observeNow = () => observe(bus, host, identity, watchUnits, rootDevice);
  const snapshotNow = (observation: Observation, signal: Snapshot["signal"]) =>
    snapshotOf(observation.present, observation.nextroot, signal, { oldRootDevices: oldRoots, containers, network });
  const stageDeps: StageDeps = {
    runtimeDir: config.runtimeDir,
    controlUrl: config.controlUrl,
    publish: (event) => connection.publish(event),
    sendProgress: (commandId, progress) => connection.sendStageProgress(commandId, progress),
    shutdownUnderWay: () => shutdownUnderWay,
    launch: options.launchStager ?? ((commandId) => startUnit(bus, stagerUnit(commandId))),
    running: options.stagerRunning ?? ((commandId) => unitRunning(bus, stagerUnit(commandId))),
    timeoutSec: config.staging.timeoutSec,
  };

  const saveBefore = (signal: Snapshot["signal"]) => {
    currentSignal = signal;
    if (pending) {
      log.warn("the record of the last reboot is dropped: the agent never reached the control plane since");
      pending = null;
    }
    if (latest) saveSnapshot(files, snapshotNow(latest, signal), { durable: false });
  };
  // Fresh unit states if systemd answers in time. The manager's counters cannot
  // change within this userspace cycle: not re-read.
  /**
   * The call that asked for a shutdown comes on the monitor's connection, logind's signal on the main
   * one: the two sockets may be read in either order. A request seen just after the signal it brought
   * is added to the saved "before" then.
   */
  const attachLateRequest = () => {
    const signal = currentSignal;
    const seen = lastRequest;
    if (!signal || signal.requested || !latest || !seen) return;
    if (seen.atUsec - BigInt(signal.monotonicUsec) > LATE_REQUEST_USEC) return;
    const requested = requestedNow();
    if (!requested) return;
    currentSignal = { ...signal, requested };
    saveSnapshot(files, snapshotNow(latest, currentSignal), { durable: false });
  };
  const refreshBefore = async (signal: Snapshot["signal"]) => {
    if (!latest) latest = await Promise.race([observeNow(), sleep(config.ackTimeoutMs, null)]);
    if (!latest) return;
    attachLateRequest();
    // Only the units: the links as last described stand for "before" (a call to networkd now could
    // wait on a networkd the shutdown is stopping, and addresses do not change in seconds).
    const units = await Promise.race([readUnits(bus, watchUnits), sleep(config.ackTimeoutMs, null)]);
    if (currentSignal?.eventId !== signal?.eventId) return; // a newer notice took over
    const present = units ? { ...latest.present, units } : latest.present;
    latest = { ...latest, present, nextroot: hostFiles.readNextroot(host) };
    saveSnapshot(files, snapshotNow(latest, currentSignal), { durable: false });
  };
  // The units read after the last signal: the agent saves them before it exits.
  let refreshing: Promise<void> = Promise.resolve();

  try {
    await watchShutdownSignals(bus, (notice) => {
      const receivedUsec = hostFiles.monotonicUsec();
      shutdownUnderWay = notice.start;
      handleShutdownNotice(notice, receivedUsec, {
        publish: (event) => connection.publish(event),
        waitForAck: (id, ms) => connection.waitForAck(id, ms),
        saveBefore,
        // Tracked from its start: a SIGTERM right after the release still waits for the fresh units.
        refreshBefore: (signal) => {
          const refresh = refreshBefore(signal);
          refreshing = refresh.catch(() => {});
          return refresh;
        },
        releaseInhibitor: () => inhibitor.drop(),
        retakeInhibitor: () => inhibitor.take(),
        bootId: identity.bootId,
        softRebootsCount: latest?.present.softRebootsCount ?? null,
        requested: requestedNow,
        ackTimeoutMs: config.ackTimeoutMs,
      }).then(
        (report) => {
          options.onShutdownHandled?.(report);
        },
        (error) => log.error("shutdown handling failed", { error: errorText(error) }),
      );
    });

    // Not logind's inhibitors yet: early in a boot logind is still starting, and the first hello
    // would wait for it. The next poll lists them.
    const first = await observe(bus, host, identity, watchUnits, rootDevice, { inhibitors: false });
    latest = first;
    mark("observed");
    // What this host's systemd cannot do for softfleet, said once at start (the node page shows it too).
    for (const limit of systemdLimits(systemdMajor(first.manager.version))) {
      log.warn("systemd on this host is too old for part of softfleet", {
        version: first.manager.version ?? "unknown",
        limit,
      });
    }
    const assessment = assessRestart(loaded, first.present);
    if (assessment.kind === "none") {
      // Same userspace cycle (or the first start): keep a signal already announced in it.
      currentSignal = assessment.why === "same-cycle" ? (loaded.runtime?.signal ?? null) : null;
      oldRoots = assessment.why === "same-cycle" ? (loaded.runtime?.oldRootDevices ?? []) : [];
      saveSnapshot(files, snapshotNow(first, currentSignal));
    } else {
      pending = assessment;
      log.info("back from a reboot; the record is sent once connected", {
        kind: assessment.kind,
        beforeLost: assessment.beforeLost,
      });
    }
  } catch (error) {
    // Not started after all: let go of the lock and the bus rather than leave them to the process's end.
    stopper.abort();
    connection.stop();
    await inhibitor.release();
    stopWatchingRequests?.();
    closeBus(bus);
    throw error;
  }
  // The record's "after" is read once the boot finished and the payloads were looked for.
  const finished = pending
    ? discovered.then(() =>
        waitForBootFinish(
          observeNow,
          options.finishWait ?? { pollMs: 100, maxMs: 120_000 },
          async () => (await readFinishUsec(bus)) !== 0n,
        ),
      )
    : null;
  finished?.catch(() => {});
  const lookDeps = {
    readUnitTimes: () => readUnitTimes(bus),
    findPinnedRoot: (devices: readonly string[]) => findPinnedRoot(devices, host),
    listContainers: () => listContainers(config.podmanSocket),
    describeNetwork: () => describeNetwork(bus),
  };
  // The record's looks at the node start once its boot finished, beside the connection to control.
  const assessed = pending;
  const looks = assessed && finished ? finished.then((after) => gatherLooks(assessed, after, lookDeps)) : undefined;
  looks?.catch(() => {});
  if (latest) firstObserved(latest);

  let reporting = false;
  function reportPendingRecord(connectedUsec: bigint) {
    if (!pending || !finished || reporting) return;
    reporting = true;
    reportReboot(pending, connectedUsec, {
      finished,
      publish: (event, id) => connection.publish(event, id),
      ...lookDeps,
      looks,
      readProberState: () => readProberState(config.proberStateFile),
      saveSnapshot: (snapshot) => {
        pending = null;
        oldRoots = snapshot.oldRootDevices;
        containers = snapshot.containers;
        network = snapshot.network;
        if (!shutdownUnderWay) saveSnapshot(files, { ...snapshot, signal: currentSignal });
      },
    })
      .then((record) => {
        // The node's state carries it from now on (the next poll sends it).
        if (record.pinnedRoot !== undefined) pinned = record.pinnedRoot;
      })
      .catch((error) => log.error("cannot report the reboot", { error: errorText(error) }))
      .finally(() => {
        reporting = false;
      });
  }

  let polling = false;
  const poller = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      const next = await observeNow();
      const key = stateKey(next, inhibitor.state, payloadFacts());
      const changed = key !== sentKey;
      latest = next;
      if (!changed) return;
      sentKey = key;
      connection.sendState(nodeStateOf(next, inhibitor.state, payloadFacts()));
      // Once a shutdown is announced the snapshot holds the state before it: units stopping now must not overwrite it.
      if (!pending && !shutdownUnderWay) saveSnapshot(files, snapshotNow(next, currentSignal));
    } catch (error) {
      log.warn("cannot read the node state", { error: errorText(error) });
    } finally {
      polling = false;
    }
  }, options.statePollMs ?? 3000);

  // While an old root is held, look again now and then: the warning ends when its holder restarts.
  let scanning = false;
  const rescanPinned = async () => {
    if (scanning || pending || oldRoots.length === 0) return;
    scanning = true;
    try {
      const found = await findPinnedRoot(oldRoots, host);
      if (!found?.processes.length) {
        if (pinned?.processes.length) log.info("the old root is no longer held by any process");
        oldRoots = [];
        pinned = null;
      } else pinned = found;
    } catch (error) {
      log.warn("cannot look for processes holding an old root", { error: errorText(error) });
    } finally {
      scanning = false;
    }
  };
  // Not while a shutdown is under way: the units read then are those the snapshot compares with.
  const discoverer = setInterval(() => {
    if (shutdownUnderWay || pending) return;
    void discover();
    void listPayloadFacts();
  }, config.payloadDiscoverySec * 1000);
  const pinnedScanner = setInterval(rescanPinned, options.pinnedScanMs ?? config.pinnedRootScanSec * 1000);
  if (oldRoots.length > 0) void rescanPinned();

  async function connectWhenEnrolled() {
    for (let delay = 1000; !stopper.signal.aborted; delay = Math.min(delay * 2, 300_000)) {
      try {
        const { credential } = await ensureCredential({
          controlUrl: config.controlUrl,
          trust,
          stateDir: config.stateDir,
          token: config.enrollmentToken,
          machineId: identity.machineId,
          hostname: identity.hostname,
        });
        mark("credential");
        if (!stopper.signal.aborted) connection.start(credential);
        return;
      } catch (error) {
        log.error("cannot enroll", { error: errorText(error), retryInMs: delay });
        await sleep(delay, null, { signal: stopper.signal }).catch(() => {});
      }
    }
  }

  return {
    connection,
    inhibitor,
    async stop() {
      stopper.abort();
      clearInterval(poller);
      clearInterval(pinnedScanner);
      clearInterval(discoverer);
      // systemd stops the agent early in a shutdown, and waits for it: the fresh unit read gets a
      // short while to complete the snapshot (the one saved at the signal stands otherwise).
      await Promise.race([refreshing, sleep(STOP_REFRESH_WAIT_MS)]);
      connection.stop();
      await inhibitor.release();
      stopWatchingRequests?.();
      closeBus(bus);
    },
  };
}

/** Identity files are checked up front: the gateway would refuse a hello with bad ones. */
function readIdentity(host: hostFiles.HostPaths): HostIdentity {
  const identity = {
    machineId: hostFiles.readMachineId(host),
    hostname: hostFiles.readHostname(host),
    bootId: hostFiles.readBootId(host),
    osRelease: hostFiles.readOsRelease(host),
  };
  if (!machineIdSchema.safeParse(identity.machineId).success) throw new Error("/etc/machine-id is not a machine id");
  if (!bootIdSchema.safeParse(identity.bootId).success) throw new Error("the kernel's boot_id is not a UUID");
  return identity;
}
