import { type LogindInhibitor, logindInhibitor } from "@softfleet/protocol";
import type { Message, MessageBus } from "dbus-next";
import { createShutdownClassifier, type ShutdownNotice } from "../signals";
import { addMatch, callMethod, isSignal, unwrapVariants } from "./bus";

const LOGIND = "org.freedesktop.login1";
const LOGIND_PATH = "/org/freedesktop/login1";
const MANAGER = "org.freedesktop.login1.Manager";

/**
 * Calls `handle` for each shutdown notice from logind. The match rules name
 * logind as sender, so the bus delivers these signals only from the owner of
 * org.freedesktop.login1: another client cannot fake a shutdown.
 */
export async function watchShutdownSignals(bus: MessageBus, handle: (notice: ShutdownNotice) => void): Promise<void> {
  const classifier = createShutdownClassifier();
  bus.on("message", (message: Message) => {
    if (isSignal(message, LOGIND_PATH, MANAGER, "PrepareForShutdownWithMetadata")) {
      const [start, metadata] = message.body;
      handle(classifier.withMetadata(Boolean(start), unwrapVariants(metadata)));
    } else if (isSignal(message, LOGIND_PATH, MANAGER, "PrepareForShutdown")) {
      const notice = classifier.plain(Boolean(message.body[0]));
      if (notice) handle(notice);
    }
  });
  for (const member of ["PrepareForShutdownWithMetadata", "PrepareForShutdown"]) {
    await addMatch(
      bus,
      `type='signal',sender='${LOGIND}',path='${LOGIND_PATH}',interface='${MANAGER}',member='${member}'`,
    );
  }
}

/**
 * Asks logind to reboot with `flags` (SD_LOGIND_*). Going through logind is
 * what makes it send the shutdown signal and honour delay inhibitors; PID 1's
 * SoftReboot() would skip both, so the agent never calls it.
 */
export async function rebootWithFlags(bus: MessageBus, flags: bigint): Promise<void> {
  await callMethod(bus, {
    destination: LOGIND,
    path: LOGIND_PATH,
    interface: MANAGER,
    member: "RebootWithFlags",
    signature: "t",
    body: [flags],
  });
}

/** logind's inhibitor locks (ListInhibitors -> a(ssssuu): what, who, why, mode, uid, pid), validated and bounded. */
export async function listInhibitors(bus: MessageBus): Promise<LogindInhibitor[]> {
  const reply = await callMethod(bus, {
    destination: LOGIND,
    path: LOGIND_PATH,
    interface: MANAGER,
    member: "ListInhibitors",
  });
  return inhibitorsOf(reply[0]);
}

/** The body of a ListInhibitors reply as locks; malformed entries are left out, at most 64 kept. */
export function inhibitorsOf(value: unknown): LogindInhibitor[] {
  if (!Array.isArray(value)) return [];
  const locks: LogindInhibitor[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 6) continue;
    const [what, who, why, mode, uid, pid] = entry;
    const parsed = logindInhibitor.safeParse({
      what,
      who: typeof who === "string" ? who.slice(0, 256) : who,
      why: typeof why === "string" ? why.slice(0, 512) : why,
      mode,
      uid,
      pid,
    });
    if (parsed.success) locks.push(parsed.data);
    if (locks.length === 64) break;
  }
  return locks;
}

/** Whether logind lists a shutdown delay lock held by `pid`; null when logind cannot be asked. */
export async function holdsDelayLock(bus: MessageBus, pid: number): Promise<boolean | null> {
  const locks = await listInhibitors(bus).catch(() => null);
  if (!locks) return null;
  return locks.some((lock) => lock.pid === pid && lock.mode === "delay" && lock.what.split(":").includes("shutdown"));
}
