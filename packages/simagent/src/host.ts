import type { buildRebootRecord, UnitTimes } from "@softfleet/agent";
import type { ClientGap, ContainerState, NetworkLink, NodeState, PinnedRoot, UnitState } from "@softfleet/protocol";
import { between, type Seed, seededHex, seededRandom, seededUuid } from "./random";
import type { RebootTimings } from "./timings";

/** The real agent's "before" snapshot and "present" observation, as its record builder takes them. */
export type Snapshot = Parameters<typeof buildRebootRecord>[0]["before"];
export type Present = Parameters<typeof buildRebootRecord>[1];
type ManagerTimes = Present["manager"];

/**
 * The lab's demo units: one survives a soft-reboot, the others are restarted
 * by it; fdstore keeps its fds in systemd's fd store meanwhile.
 */
export const WATCHED_UNITS = {
  survivor: "softfleet-demo-survivor.service",
  ordinary: "softfleet-demo-ordinary.service",
  fdstore: "softfleet-demo-fdstore.service",
} as const;

/** The unit that pins the old root on a node with the pins-old-root fault: a survivor run from the host root. */
export const BAD_SURVIVOR = "softfleet-demo-bad-survivor.service";

/** The fd store of the fdstore demo after a fresh start: its listening socket and its memfd. */
const FRESH_FD_STORE = { max: 16, count: 2, preserve: "yes" };

/** Units a host stops and starts in a reboot, for the unit blame (the watched ones among them). */
const TIMED_UNITS = [
  "systemd-journald.service",
  "dbus.service",
  "systemd-logind.service",
  "systemd-networkd.service",
  "systemd-resolved.service",
  "cron.service",
  "ssh.service",
  "containerd.service",
  WATCHED_UNITS.ordinary,
  WATCHED_UNITS.fdstore,
  "softfleet-agent.service",
];

/** A planned reboot: the host is down until downForMs() (real time) reaches 0, then boot() makes it the host after. */
export interface PlannedBoot {
  kind: "soft-reboot" | "full-reboot";
  downForMs(): number;
  boot(): void;
}

const MS = 1000n;
const realUsec = () => process.hrtime.bigint() / 1000n;

/**
 * The fake host behind a simulated agent: what the real agent reads from
 * /etc, /proc, /run/nextroot and systemd over D-Bus. Its CLOCK_MONOTONIC runs
 * with real time from a seeded uptime; every timestamp it reports is on it.
 */
export class SimulatedHost {
  readonly machineId: string;
  bootId: string;
  /** Full boots of this host, from 1: a boot id is drawn per boot. */
  bootNumber = 1;
  softRebootsCount = 0;
  imageVersion: string;
  /** The IMAGE_VERSION staged at /run/nextroot, or null. */
  staged: string | null = null;
  manager: ManagerTimes;
  units: UnitState[];
  /** What the node's prober saw of each demo through the last soft-reboot; undefined after a full one. */
  clientGaps: ClientGap[] | undefined = undefined;
  /** What holds the roots of earlier images after soft-reboots into new ones; undefined before the first. */
  pinnedRoot: PinnedRoot | null | undefined = undefined;
  /** Every unit's transition timestamps as systemd keeps them: what the unit blame is computed from. */
  unitTimes: UnitTimes[] = [];
  /** monotonic = clockOffset + (real µs - clockOrigin); a full reboot moves the offset so the clock starts at 0. */
  private readonly clockOrigin = realUsec();
  private clockOffset: bigint;

  constructor(
    private readonly seed: Seed,
    readonly index: number,
    readonly hostname: string,
    imageVersion: string,
  ) {
    this.machineId = seededHex(seed, 32, "machine-id", index);
    this.bootId = seededUuid(seed, "boot-id", index, this.bootNumber);
    this.imageVersion = imageVersion;
    const random = seededRandom(seed, "host", index);
    // Up between an hour and three weeks, booted like a VM: userspace after 1-3 s, finished 2-6 s later.
    this.clockOffset = BigInt(Math.round(between(random, 3600, 21 * 86400))) * 1_000_000n;
    const userspaceUsec = BigInt(Math.round(between(random, 1200, 3000))) * MS;
    const finishUsec = userspaceUsec + BigInt(Math.round(between(random, 2000, 6000))) * MS;
    this.manager = { shutdownStartUsec: 0n, userspaceUsec, finishUsec };
    this.units = this.freshUnits(userspaceUsec, finishUsec, between(random, 0.2, 0.9));
  }

  monotonicUsec(): bigint {
    return this.clockOffset + (realUsec() - this.clockOrigin);
  }

  osRelease(imageVersion = this.imageVersion) {
    return { id: "debian", versionId: "13", imageId: "softfleet-sim", imageVersion };
  }

  state(): NodeState {
    return {
      softRebootsCount: this.softRebootsCount,
      nextroot: { staged: this.staged !== null, imageVersion: this.staged },
      units: this.units.map((unit) => ({ ...unit })),
      monotonicUsec: this.monotonicUsec().toString(),
      inhibitor: "held",
      ...(this.pinnedRoot === undefined ? {} : { pinnedRoot: this.pinnedRoot }),
      containers: this.containers(),
      portables: [{ name: "softfleet-portable", type: "directory", state: "running-runtime" }],
      network: this.network(),
    };
  }

  /**
   * The lab's Podman container: started with the host's first boot, it runs
   * straight through soft-reboots (same process, same start) and starts
   * afresh after a full reboot.
   */
  containers(): ContainerState[] {
    const started = seededRandom(this.seed, "container", this.index, this.bootNumber);
    return [
      {
        id: seededHex(this.seed, 64, "container-id", this.index, this.bootNumber),
        name: "softfleet-demo-web",
        image: "localhost/softfleet-demo-web:1",
        state: "running",
        pid: 100 + Math.floor(started() * 4_000_000),
        startedAt: Math.floor(Date.now() / 1000 / 86_400) * 86_400 - Math.floor(started() * 86_400 * 20),
        unit: "softfleet-demo-web.service",
      },
    ];
  }

  /**
   * The link systemd-networkd manages, with KeepConfiguration=static: its
   * address is the host's own (never a target: simulated hosts have no
   * network), kept through soft-reboots; the kernel's carrier-loss count
   * starts again with each full boot.
   */
  network(): NetworkLink[] {
    return [
      {
        name: "eth0",
        operState: "routable",
        keepConfiguration: "static",
        networkFile: "/etc/systemd/network/10-eth0.network",
        addresses: [`10.${200 + (this.index >> 16)}.${(this.index >> 8) & 255}.${this.index & 255}/16`],
        carrierDownCount: 0,
      },
    ];
  }

  /** The root file system's device: each image has its own ("major:minor"). */
  rootDevice(imageVersion = this.imageVersion): string {
    return `0:${32 + (Number.parseInt(seededHex(this.seed, 4, "root-device", imageVersion), 16) % 200)}`;
  }

  present(): Present {
    return {
      bootId: this.bootId,
      softRebootsCount: this.softRebootsCount,
      osRelease: this.osRelease(),
      units: this.units.map((unit) => ({ ...unit })),
      manager: { ...this.manager },
      rootDevice: this.rootDevice(),
    };
  }

  snapshot(signal: Snapshot["signal"]): Snapshot {
    return {
      version: 1,
      bootId: this.bootId,
      softRebootsCount: this.softRebootsCount,
      userspaceUsec: this.manager.userspaceUsec.toString(),
      osRelease: this.osRelease(),
      nextroot: { staged: this.staged !== null, imageVersion: this.staged },
      units: this.units.map((unit) => ({ ...unit })),
      rootDevice: this.rootDevice(),
      oldRootDevices: this.pinnedRoot?.processes.length ? this.pinnedRoot.devices : [],
      containers: this.containers(),
      network: this.network(),
      signal,
    };
  }

  /** A soft-reboot whose shutdown starts right after the delay lock was released at `lockReleasedUsec`. */
  planSoftReboot(t: RebootTimings, lockReleasedUsec: bigint, imageAfter: string, pinsOldRoot = false): PlannedBoot {
    const shutdownStartUsec = lockReleasedUsec + t.lockReleaseUsec;
    const userspaceUsec = shutdownStartUsec + t.shutdownUsec + t.userspaceStartUsec;
    const finishUsec = userspaceUsec + t.bootToFinishUsec;
    const readyUsec = finishUsec + t.agentStartUsec;
    return {
      kind: "soft-reboot",
      downForMs: () => this.msUntil(readyUsec),
      boot: () => {
        this.pinnedRoot = this.pinnedAfter(imageAfter, pinsOldRoot);
        this.softRebootsCount += 1;
        this.imageVersion = imageAfter;
        this.staged = null;
        this.manager = { shutdownStartUsec, userspaceUsec, finishUsec };
        this.unitTimes = this.timedUnits(t, shutdownStartUsec);
        this.clientGaps = this.probedGaps(t, shutdownStartUsec, userspaceUsec);
        // The survivor runs straight through; the others stop during the shutdown and start in the boot
        // (the fd store's fds are kept meanwhile: FileDescriptorStorePreserve=yes).
        this.units = this.units.map((unit) =>
          unit.name === WATCHED_UNITS.survivor
            ? unit
            : {
                ...unit,
                invocationId: this.invocationId(unit.name),
                mainPid: this.mainPid(unit.name),
                inactiveEnterUsec: (shutdownStartUsec + fraction(t.shutdownUsec, t.unitStopAt)).toString(),
                activeEnterUsec: (userspaceUsec + fraction(t.bootToFinishUsec, t.unitStartAt)).toString(),
              },
        );
      },
    };
  }

  /** A full reboot: the kernel starts again, so the clock restarts at 0 and the boot id changes; /run is emptied. */
  planFullReboot(t: RebootTimings, lockReleasedUsec: bigint): PlannedBoot {
    const kernelStartUsec = lockReleasedUsec + t.lockReleaseUsec + t.shutdownUsec + t.firmwareUsec;
    const userspaceUsec = t.kernelUsec;
    const finishUsec = userspaceUsec + t.bootToFinishUsec;
    const readyUsec = kernelStartUsec + finishUsec + t.agentStartUsec;
    return {
      kind: "full-reboot",
      downForMs: () => this.msUntil(readyUsec),
      boot: () => {
        this.clockOffset -= kernelStartUsec;
        this.bootNumber += 1;
        this.bootId = seededUuid(this.seed, "boot-id", this.index, this.bootNumber);
        this.softRebootsCount = 0;
        this.staged = null;
        // The kernel started afresh: no old root is left to hold, and the prober did not run through.
        this.pinnedRoot = null;
        this.clientGaps = undefined;
        this.manager = { shutdownStartUsec: 0n, userspaceUsec, finishUsec };
        this.unitTimes = this.timedUnits(t, null);
        this.units = this.freshUnits(userspaceUsec, finishUsec, t.unitStartAt);
      },
    };
  }

  /**
   * Seeded stop and start times of TIMED_UNITS in the reboot just planned:
   * stops within the shutdown (none to tell after a full reboot, whose clock
   * is new), starts between Userspace and Finish. Now and then one unit is
   * slow to stop, as a real fleet has.
   */
  private timedUnits(t: RebootTimings, shutdownStartUsec: bigint | null): UnitTimes[] {
    const random = seededRandom(this.seed, "unit-times", this.index, this.bootNumber, this.softRebootsCount);
    const { userspaceUsec } = this.manager;
    const slow = random() < 0.3 ? Math.floor(random() * TIMED_UNITS.length) : -1;
    return TIMED_UNITS.map((name, i) => {
      const stopFrom = shutdownStartUsec === null ? 0n : shutdownStartUsec + fraction(t.shutdownUsec, random() * 0.3);
      const stopFor = fraction(t.shutdownUsec, i === slow ? between(random, 0.4, 0.6) : between(random, 0.01, 0.2));
      const startFrom = userspaceUsec + fraction(t.bootToFinishUsec, random() * 0.5);
      const startFor = fraction(t.bootToFinishUsec, between(random, 0.01, 0.4));
      return {
        name,
        activeExitUsec: stopFrom,
        inactiveEnterUsec: shutdownStartUsec === null ? 0n : stopFrom + stopFor,
        inactiveExitUsec: startFrom,
        activeEnterUsec: startFrom + startFor,
      };
    });
  }

  private msUntil(usec: bigint): number {
    const left = usec - this.monotonicUsec();
    return left > 0n ? Math.ceil(Number(left) / 1000) : 0;
  }

  /**
   * What the prober (probing every 10 ms) saw: the survivor answered all along
   * (a gap of a few intervals), the ordinary service was away from its stop to
   * its start and a little after, the fd-store service accepted connections
   * all along (its socket stayed in systemd's store).
   */
  private probedGaps(t: RebootTimings, shutdownStartUsec: bigint, userspaceUsec: bigint): ClientGap[] {
    const random = seededRandom(this.seed, "probe", this.index, this.softRebootsCount);
    const stoppedUsec = shutdownStartUsec + fraction(t.shutdownUsec, t.unitStopAt);
    const startedUsec = userspaceUsec + fraction(t.bootToFinishUsec, t.unitStartAt);
    const awayMs = Number(startedUsec - stoppedUsec) / 1000 + between(random, 5, 40);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    const target = (port: number, scheme = "http") => `${scheme}://127.0.0.1:${port}${scheme === "http" ? "/" : ""}`;
    return [
      {
        name: "survivor",
        target: target(18000),
        longestGapMs: round(between(random, 12, 35)),
        failedProbes: 0,
        open: false,
      },
      {
        name: "ordinary",
        target: target(19000),
        longestGapMs: round(awayMs),
        failedProbes: Math.max(1, Math.floor(awayMs / 12)),
        open: false,
      },
      {
        name: "fdstore",
        target: target(20000, "tcp"),
        longestGapMs: round(between(random, 12, 35)),
        failedProbes: 0,
        open: false,
      },
    ];
  }

  /**
   * What the agent's scan finds after a soft-reboot into imageAfter: nothing to
   * look for on the same image; the old root held by the bad survivor (a
   * seeded 20-90 MB) with pinsOldRoot, or by nobody.
   */
  private pinnedAfter(imageAfter: string, pinsOldRoot: boolean): PinnedRoot | null {
    const [oldDevice, newDevice] = [this.rootDevice(), this.rootDevice(imageAfter)];
    if (oldDevice === newDevice) return null;
    const random = seededRandom(this.seed, "pinned", this.index, this.softRebootsCount);
    const pssKb = pinsOldRoot ? Math.round(between(random, 20, 90) * 1024) : 0;
    const holder = {
      pid: this.mainPid(BAD_SURVIVOR),
      comm: "node",
      unit: BAD_SURVIVOR,
      refs: ["exe" as const, "mapped" as const],
      files: ["/usr/bin/node", "/usr/lib/x86_64-linux-gnu/libnode.so.115"],
      pssKb,
    };
    return {
      devices: [oldDevice],
      pssKb,
      processes: pinsOldRoot ? [holder] : [],
      scannedProcesses: 40 + Math.floor(random() * 40),
      scanMs: Math.round(between(random, 3, 12) * 10) / 10,
    };
  }

  /** A seeded PID for a unit's process in this cycle (the agent compares it to tell a real survivor). */
  private mainPid(unit: string): number {
    const digits = seededHex(this.seed, 6, "pid", this.index, this.bootNumber, this.softRebootsCount, unit);
    return 100 + (Number.parseInt(digits, 16) % 4_000_000);
  }

  private invocationId(unit: string): string {
    return seededHex(this.seed, 32, "invocation", this.index, this.bootNumber, this.softRebootsCount, unit);
  }

  private freshUnits(userspaceUsec: bigint, finishUsec: bigint, startAt: number): UnitState[] {
    const activeEnterUsec = (userspaceUsec + fraction(finishUsec - userspaceUsec, startAt)).toString();
    return Object.values(WATCHED_UNITS).map((name) => ({
      name,
      activeState: "active",
      subState: "running",
      invocationId: this.invocationId(name),
      activeEnterUsec,
      inactiveEnterUsec: "0",
      survives: name === WATCHED_UNITS.survivor,
      mainPid: this.mainPid(name),
      ...(name === WATCHED_UNITS.fdstore ? { fdStore: FRESH_FD_STORE } : {}),
    }));
  }
}

function fraction(span: bigint, part: number): bigint {
  return BigInt(Math.floor(Number(span) * part));
}
