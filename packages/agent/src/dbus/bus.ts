import dbus, { type Message, type MessageBus } from "dbus-next";

/**
 * The thin layer over dbus-next's low-level API. Plain method calls instead of
 * proxy objects: no introspection round trips (systemd's Manager interface is
 * large) and every call gets a timeout, since dbus-next waits forever for a
 * reply that never comes.
 */
export const CALL_TIMEOUT_MS = 5000;

export interface Call {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** "system" is the system bus (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus); anything else is a D-Bus address. */
export async function openBus(address: string, timeoutMs = CALL_TIMEOUT_MS): Promise<MessageBus> {
  const bus = guardSends(address === "system" ? dbus.systemBus() : dbus.sessionBus({ busAddress: address }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from the D-Bus at ${address}`)), timeoutMs);
    bus.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    bus.once("error", (error: unknown) => {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  }).catch((error) => {
    // An unhandled "error" on a half-open bus would crash the process.
    bus.on("error", () => {});
    closeBus(bus);
    throw error;
  });
  return bus;
}

/** The bus's socket is not there yet, or nothing listens on it yet: early in a boot, or while dbus restarts. */
const BUS_NOT_UP = new Set(["ENOENT", "ECONNREFUSED"]);

/**
 * openBus, for a process that starts before the bus does (the agent starts early in a boot, so
 * that its connection to control overlaps the rest): while the bus's socket is missing or refuses,
 * tries again every retryMs, for up to waitMs. Any other failure, or the last one, is thrown.
 */
export async function openBusWhenUp(
  address: string,
  options: { waitMs: number; retryMs?: number; onWaiting?: (reason: string) => void },
): Promise<MessageBus> {
  const deadline = Date.now() + options.waitMs;
  let said = false;
  for (;;) {
    try {
      return await openBus(address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (!BUS_NOT_UP.has(code) || Date.now() >= deadline) throw error;
      if (!said) options.onWaiting?.((error as Error).message);
      said = true;
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 50));
    }
  }
}

/**
 * dbus-next answers some calls by itself (Introspect, Peer.Ping, errors). If
 * the socket has just closed, that reply throws from inside its stream
 * handler, where nothing can catch it: the process would crash. Route such
 * failures to the bus's "error" event instead.
 */
export function guardSends(bus: MessageBus): MessageBus {
  const send = bus.send.bind(bus);
  bus.send = (message) => {
    try {
      send(message);
    } catch (error) {
      bus.emit("error", error);
    }
  };
  return bus;
}

/**
 * Disconnects for good. dbus-next's disconnect() only half-closes the socket:
 * a method call still arriving would be answered on the closed stream, which
 * throws outside any handler. Destroying the stream stops reading too.
 */
export function closeBus(bus: MessageBus): void {
  bus.disconnect();
  streamOf(bus)?.destroy();
}

type Internals = { _connection?: NodeJS.EventEmitter & { stream?: import("node:stream").Duplex } };
const streamOf = (bus: MessageBus) => (bus as unknown as Internals)._connection?.stream;

/**
 * Calls back once when the bus connection fails or closes. dbus-next reports
 * failures as "error" events (unhandled, they crash the process) and a closed
 * socket only on its internal connection object.
 */
export function onBusLost(bus: MessageBus, lost: (reason: string) => void): void {
  let reported = false;
  const report = (reason: string) => {
    if (reported) return;
    reported = true;
    lost(reason);
  };
  bus.on("error", (error: unknown) => report(error instanceof Error ? error.message : String(error)));
  const connection = (bus as unknown as Internals)._connection;
  connection?.on("end", () => report("the bus closed the connection"));
  connection?.stream?.on("close", () => report("the bus connection closed"));
}

export async function callMethod(bus: MessageBus, call: Call, timeoutMs = CALL_TIMEOUT_MS): Promise<unknown[]> {
  const message = new dbus.Message({ ...call, body: call.body ?? [], signature: call.signature ?? "" });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${call.interface}.${call.member} on ${call.destination}: no reply in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const reply: Message | null = await Promise.race([bus.call(message), timeout]);
    return reply?.body ?? [];
  } catch (error) {
    // A socket the peer closed does not always say so with an event (usocket);
    // a call that finds it unwritable does, and that is a lost bus.
    if (streamOf(bus)?.writable === false) bus.emit("error", new Error("the bus connection is closed"));
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** org.freedesktop.DBus.Properties.Get, the variant unwrapped. */
export async function getProperty(
  bus: MessageBus,
  destination: string,
  path: string,
  iface: string,
  name: string,
): Promise<unknown> {
  const [variant] = await callMethod(bus, {
    destination,
    path,
    interface: "org.freedesktop.DBus.Properties",
    member: "Get",
    signature: "ss",
    body: [iface, name],
  });
  return variant instanceof dbus.Variant ? variant.value : variant;
}

/** Subscribes to signals matching `rule` (AddMatch); they then arrive as bus "message" events. */
export async function addMatch(bus: MessageBus, rule: string): Promise<void> {
  await callMethod(bus, {
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "AddMatch",
    signature: "s",
    body: [rule],
  });
}

export function isSignal(message: Message, path: string, iface: string, member: string): boolean {
  return (
    message.type === dbus.MessageType.SIGNAL &&
    message.path === path &&
    message.interface === iface &&
    message.member === member
  );
}

/** The D-Bus error name of a failed call (org.freedesktop.DBus.Error.*), if it is one. */
export function dbusErrorName(error: unknown): string | null {
  return error instanceof dbus.DBusError ? error.type : null;
}

export function unwrapVariants(dict: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  if (typeof dict !== "object" || dict === null) return result;
  for (const [key, value] of Object.entries(dict)) result[key] = value instanceof dbus.Variant ? value.value : value;
  return result;
}

/** The connection's unique name (":1.42"), which dbus-next keeps without declaring it. */
export function uniqueName(bus: MessageBus): string {
  return (bus as unknown as { name?: string | null }).name ?? "";
}
