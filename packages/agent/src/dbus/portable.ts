import type { PortableImage } from "@softfleet/protocol";
import type { MessageBus } from "dbus-next";
import { callMethod } from "./bus";

/**
 * The portable service images systemd-portabled knows (org.freedesktop.portable1,
 * activated on demand): each with its type and whether it is attached or
 * running. Null when the node has no portabled.
 */
export async function listPortableImages(bus: MessageBus, timeoutMs = 3000): Promise<PortableImage[] | null> {
  try {
    const [images] = await callMethod(
      bus,
      {
        destination: "org.freedesktop.portable1",
        path: "/org/freedesktop/portable1",
        interface: "org.freedesktop.portable1.Manager",
        member: "ListImages",
      },
      timeoutMs,
    );
    // a(ssbtttso): name, type, read-only, crtime, mtime, usage, state, object path.
    return (images as unknown[][]).slice(0, 64).map((row) => ({
      name: String(row[0]).slice(0, 256),
      type: String(row[1]).slice(0, 32),
      state: String(row[6]).slice(0, 32),
    }));
  } catch {
    return null;
  }
}
