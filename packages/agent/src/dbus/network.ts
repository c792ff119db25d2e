import type { NetworkLink } from "@softfleet/protocol";
import type { MessageBus } from "dbus-next";
import { linksOf, realLinkReaders } from "../network";
import { callMethod } from "./bus";

/**
 * The links systemd-networkd manages (org.freedesktop.network1 Describe(),
 * JSON). Null when the node has no networkd.
 */
export async function describeNetwork(bus: MessageBus, timeoutMs = 3000): Promise<NetworkLink[] | null> {
  try {
    const [json] = await callMethod(
      bus,
      {
        destination: "org.freedesktop.network1",
        path: "/org/freedesktop/network1",
        interface: "org.freedesktop.network1.Manager",
        member: "Describe",
      },
      timeoutMs,
    );
    return typeof json === "string" ? await linksOf(json, realLinkReaders) : null;
  } catch {
    return null;
  }
}
