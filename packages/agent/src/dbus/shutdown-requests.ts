import type { ShutdownType } from "@softfleet/protocol";
import type { Message, MessageBus } from "dbus-next";
import { errorText, log } from "../log";
import { callMethod, closeBus, openBus } from "./bus";

/**
 * What was asked of logind, as opposed to what it announced. `systemctl
 * reboot` with a new root mounted at /run/nextroot asks for a reboot
 * (RebootWithFlags with SOFT_REBOOT_IF_NEXTROOT_SET_UP), and logind turns it
 * into a soft-reboot: its signal then says "soft-reboot". Only the call says
 * a reboot was asked for. The agent sees the calls as a bus monitor
 * (org.freedesktop.DBus.Monitoring.BecomeMonitor, root only), on a
 * connection of its own that never sends anything once it monitors.
 */

const LOGIND = "org.freedesktop.login1";
const MANAGER = "org.freedesktop.login1.Manager";

export const SD_LOGIND_SOFT_REBOOT = 0x04n;

/** The logind methods that start a shutdown. */
const METHODS = [
  "Reboot",
  "RebootWithFlags",
  "PowerOff",
  "PowerOffWithFlags",
  "Halt",
  "HaltWithFlags",
  "ScheduleShutdown",
] as const;

const TYPES: readonly string[] = ["poweroff", "reboot", "halt", "kexec", "soft-reboot"];

export interface ShutdownRequest {
  type: ShutdownType;
  /** The logind method and, for *WithFlags, its flags (hex). */
  method: string;
  /** The caller's unique bus name. */
  sender: string;
}

/** The shutdown a logind method call asks for; null for a call that asks for none (a dry run, a cancel). */
export function requestedType(member: string, body: readonly unknown[]): ShutdownType | null {
  switch (member) {
    case "Reboot":
      return "reboot";
    case "RebootWithFlags": {
      // systemctl reboot sends REBOOT_VIA_KEXEC (kexec if a kernel is loaded) and, with a root mounted at
      // /run/nextroot, SOFT_REBOOT_IF_NEXTROOT_SET_UP: both ask for a reboot that logind may turn into
      // another kind (systemctl kexec sends the same flag: the two cannot be told apart from the call).
      const flags = typeof body[0] === "bigint" ? body[0] : BigInt(Number(body[0] ?? 0));
      return flags & SD_LOGIND_SOFT_REBOOT ? "soft-reboot" : "reboot";
    }
    case "PowerOff":
    case "PowerOffWithFlags":
      return "poweroff";
    case "Halt":
    case "HaltWithFlags":
      return "halt";
    case "ScheduleShutdown": {
      // "dry-reboot" and friends only pretend; "" would be a cancel.
      const type = typeof body[0] === "string" ? body[0] : "";
      return TYPES.includes(type) ? (type as ShutdownType) : null;
    }
    default:
      return null;
  }
}

export function requestOf(message: Pick<Message, "type" | "interface" | "member" | "body" | "sender">) {
  if (message.interface !== MANAGER || !message.member) return null;
  const type = requestedType(message.member, message.body ?? []);
  if (!type) return null;
  const flags = message.member.endsWith("WithFlags") ? ` 0x${BigInt(message.body?.[0] ?? 0).toString(16)}` : "";
  return { type, method: `${message.member}${flags}`, sender: message.sender ?? "" } satisfies ShutdownRequest;
}

/**
 * Calls `seen` for each shutdown asked of logind, from any caller. Resolves
 * to a stop function, or to null when this bus does not let the agent
 * monitor (then records say what logind announced, as before).
 */
export async function watchShutdownRequests(
  address: string,
  seen: (request: ShutdownRequest) => void,
): Promise<(() => void) | null> {
  let monitor: MessageBus;
  try {
    monitor = await openBus(address);
  } catch (error) {
    log.warn("cannot watch shutdown requests: no bus connection", { error: errorText(error) });
    return null;
  }
  // A monitor must not send: claim every method call it sees so dbus-next never answers one.
  monitor.addMethodHandler(() => true);
  monitor.on("error", () => {});
  monitor.on("message", (message: Message) => {
    const request = requestOf(message);
    if (request) seen(request);
  });
  const rules = METHODS.map(
    (member) => `type='method_call',destination='${LOGIND}',interface='${MANAGER}',member='${member}'`,
  );
  try {
    await callMethod(monitor, {
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus.Monitoring",
      member: "BecomeMonitor",
      signature: "asu",
      body: [rules, 0],
    });
  } catch (error) {
    log.warn("cannot watch shutdown requests: the bus does not let the agent monitor", { error: errorText(error) });
    closeBus(monitor);
    return null;
  }
  return () => closeBus(monitor);
}
