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

/**
 * Whether logind lists a shutdown delay lock held by `pid` (ListInhibitors ->
 * a(ssssuu): what, who, why, mode, uid, pid); null when logind cannot be asked.
 */
export async function holdsDelayLock(bus: MessageBus, pid: number): Promise<boolean | null> {
  let reply: unknown[];
  try {
    reply = await callMethod(bus, {
      destination: LOGIND,
      path: LOGIND_PATH,
      interface: MANAGER,
      member: "ListInhibitors",
    });
  } catch {
    return null;
  }
  const locks = (reply[0] ?? []) as [string, string, string, string, number, number][];
  return locks.some(
    ([what, , , mode, , holder]) => holder === pid && mode === "delay" && what.split(":").includes("shutdown"),
  );
}
