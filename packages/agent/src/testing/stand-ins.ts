import { openSync } from "node:fs";
import dbus, { type MessageBus } from "dbus-next";
import { callMethod, guardSends } from "../dbus/bus";

const { Interface } = dbus.interface;
const { Variant, DBusError } = dbus;

/**
 * Stand-in logind: records Inhibit and RebootWithFlags calls and emits the
 * shutdown signals on demand. Inhibit returns a real fd (of /dev/null), as
 * systemd-inhibit insists on one; sending it needs negotiateUnixFd + usocket.
 * ListInhibitors lists a lock while the process that took it lives (logind
 * drops it when the fd closes, which happens when that process ends).
 */
export class FakeLogind extends Interface {
  inhibitCalls: string[][] = [];
  locks: { what: string; who: string; why: string; mode: string; pid: number }[] = [];
  rebootCalls: bigint[] = [];
  refuseInhibit = false;
  refuseReboot = false;
  /** Called inside RebootWithFlags: lets a test look at what had happened by then. */
  onReboot: (flags: bigint) => void = () => {};

  private lastSender = "";

  constructor(private readonly bus: MessageBus) {
    super("org.freedesktop.login1.Manager");
    // dbus-next hides the caller from interface methods; this handler sees the message first.
    bus.addMethodHandler((message: { member: string; sender: string }) => {
      if (message.member === "Inhibit") this.lastSender = message.sender;
      return false;
    });
  }

  async Inhibit(what: string, who: string, why: string, mode: string): Promise<number> {
    this.inhibitCalls.push([what, who, why, mode]);
    if (this.refuseInhibit)
      throw new DBusError("org.freedesktop.DBus.Error.AccessDenied", "inhibitors are refused here");
    const [pid] = await callMethod(this.bus, {
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "GetConnectionUnixProcessID",
      signature: "s",
      body: [this.lastSender],
    });
    this.locks.push({ what, who, why, mode, pid: Number(pid) });
    return openSync("/dev/null", "r");
  }

  ListInhibitors(): [string, string, string, string, number, number][] {
    this.locks = this.locks.filter((lock) => alive(lock.pid));
    return this.locks.map((l) => [l.what, l.who, l.why, l.mode, 0, l.pid]);
  }

  RebootWithFlags(flags: bigint): void {
    if (this.refuseReboot) throw new DBusError("org.freedesktop.DBus.Error.AccessDenied", "no reboot for you");
    this.rebootCalls.push(flags);
    this.onReboot(flags);
  }

  PrepareForShutdownWithMetadata(start: boolean, type: string): [boolean, Record<string, unknown>] {
    return [start, { type: new Variant("s", type) }];
  }

  PrepareForShutdown(start: boolean): boolean {
    return start;
  }
}
FakeLogind.configureMembers({
  methods: {
    Inhibit: { inSignature: "ssss", outSignature: "h" },
    ListInhibitors: { inSignature: "", outSignature: "a(ssssuu)" },
    RebootWithFlags: { inSignature: "t", outSignature: "" },
  },
  signals: {
    PrepareForShutdownWithMetadata: { signature: "ba{sv}" },
    PrepareForShutdown: { signature: "b" },
  },
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface FakeUnit {
  ActiveState: string;
  SubState: string;
  InvocationID: Buffer;
  ActiveEnterTimestampMonotonic: bigint;
  InactiveEnterTimestampMonotonic: bigint;
}

class UnitObject extends Interface {
  constructor(readonly unit: FakeUnit) {
    super("org.freedesktop.systemd1.Unit");
  }
  get ActiveState() {
    return this.unit.ActiveState;
  }
  get SubState() {
    return this.unit.SubState;
  }
  get InvocationID() {
    return this.unit.InvocationID;
  }
  get ActiveEnterTimestampMonotonic() {
    return this.unit.ActiveEnterTimestampMonotonic;
  }
  get InactiveEnterTimestampMonotonic() {
    return this.unit.InactiveEnterTimestampMonotonic;
  }
}
UnitObject.configureMembers({
  properties: {
    ActiveState: { signature: "s", access: "read" },
    SubState: { signature: "s", access: "read" },
    InvocationID: { signature: "ay", access: "read" },
    ActiveEnterTimestampMonotonic: { signature: "t", access: "read" },
    InactiveEnterTimestampMonotonic: { signature: "t", access: "read" },
  },
});

export interface ManagerValues {
  Version: string;
  SoftRebootsCount: number;
  ShutdownStartTimestampMonotonic: bigint;
  UserspaceTimestampMonotonic: bigint;
  FinishTimestampMonotonic: bigint;
  /** Only on a systemd that has it (newer than 257). */
  SoftRebootStartTimestampMonotonic?: bigint;
}

/**
 * Stand-in systemd Manager. `withSoftRebootsCount: false` plays a systemd
 * older than 256, where that property does not exist.
 */
export function createFakeSystemd(bus: MessageBus, values: ManagerValues, withSoftRebootsCount = true) {
  const units = new Map<string, FakeUnit>();
  const pathOf = (name: string) =>
    `/org/freedesktop/systemd1/unit/${name.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}`;
  /** Adds a unit, or changes one in place (its exported object reads the same record). */
  const exportUnit = (name: string, unit: FakeUnit) => {
    const existing = units.get(name);
    if (existing) return void Object.assign(existing, unit);
    units.set(name, unit);
    bus.export(pathOf(name), new UnitObject(unit));
  };

  class Manager extends Interface {
    constructor() {
      super("org.freedesktop.systemd1.Manager");
    }
    GetUnit(name: string): string {
      if (!units.has(name)) throw new DBusError("org.freedesktop.systemd1.NoSuchUnit", `Unit ${name} not loaded.`);
      return pathOf(name);
    }
    LoadUnit(name: string): string {
      if (!units.has(name)) {
        exportUnit(name, {
          ActiveState: "inactive",
          SubState: "dead",
          InvocationID: Buffer.alloc(0),
          ActiveEnterTimestampMonotonic: 0n,
          InactiveEnterTimestampMonotonic: 0n,
        });
      }
      return pathOf(name);
    }
  }
  const properties: Record<string, { signature: string; access: "read" }> = {
    Version: { signature: "s", access: "read" },
    ShutdownStartTimestampMonotonic: { signature: "t", access: "read" },
    UserspaceTimestampMonotonic: { signature: "t", access: "read" },
    FinishTimestampMonotonic: { signature: "t", access: "read" },
  };
  if (withSoftRebootsCount) properties.SoftRebootsCount = { signature: "u", access: "read" };
  // Newer than the systemd the lab runs (257): exported only when a test gives it.
  if (values.SoftRebootStartTimestampMonotonic !== undefined)
    properties.SoftRebootStartTimestampMonotonic = { signature: "t", access: "read" };
  for (const key of Object.keys(properties)) {
    Object.defineProperty(Manager.prototype, key, { get: () => values[key as keyof ManagerValues] });
  }
  Manager.configureMembers({
    properties,
    methods: { GetUnit: { inSignature: "s", outSignature: "o" }, LoadUnit: { inSignature: "s", outSignature: "o" } },
  });
  bus.export("/org/freedesktop/systemd1", new Manager());
  return { values, units, setUnit: exportUnit };
}

/** A bus connection for the stand-ins, able to send fds (usocket is installed for the tests). */
export async function connectStandIn(address: string, names: string[]): Promise<MessageBus> {
  const options = { busAddress: address, negotiateUnixFd: true }; // negotiateUnixFd is missing from the typings
  const bus = guardSends(dbus.sessionBus(options));
  bus.on("error", () => {});
  for (const name of names) await bus.requestName(name, 0);
  return bus;
}
