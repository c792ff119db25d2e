import * as z from "./zod";

/**
 * The agent <-> gateway protocol. Bumped on any incompatible change; the
 * gateway refuses other versions with a close reason naming both.
 */
export const PROTOCOL_VERSION = 1;

/** The WebSocket path of this version; enrollment is a POST beside it. */
export const AGENT_WS_PATH = "/agent/v1";
export const ENROLL_PATH = "/agent/v1/enroll";

/** Frames larger than this are refused (close 1009). */
export const MAX_FRAME_BYTES = 256 * 1024;

/**
 * A CLOCK_MONOTONIC (or realtime) value in microseconds, as systemd reports
 * it (D-Bus type t). Sent as a decimal string: it does not fit a JSON number
 * exactly in general, and the phases must be exact to the microsecond.
 */
export const MAX_USEC = 2n ** 63n - 1n;
export const usec = z.string().check(
  z.regex(/^\d{1,19}$/, "must be microseconds as a decimal string"),
  // Checks run on after a failed one: BigInt() only of what the regex let through (it throws on the rest).
  z.refine(
    (value) => !/^\d{1,19}$/.test(value) || BigInt(value) <= MAX_USEC,
    "must be at most 2^63-1 microseconds (a signed 64-bit value)",
  ),
);

/** Counters the database keeps as 32-bit integers. */
export const count32 = z.number().check(z.int(), z.nonnegative(), z.maximum(2_147_483_647, "must be at most 2^31-1"));

export const machineId = z
  .string()
  .check(z.regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex digits (/etc/machine-id)"));
export const bootId = z
  .string()
  .check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a boot id (a UUID)"));

/** Event and command ids: chosen by their sender, unique, stored once. */
export const messageId = z
  .string()
  .check(z.minLength(8), z.maxLength(64), z.regex(/^[\w-]+$/, "must be letters, digits, '-' or '_'"));

export const unitName = z
  .string()
  .check(z.minLength(3), z.maxLength(256), z.regex(/^[\w@.:\\-]+$/, "must be a systemd unit name"));

/** Node labels (key=value) from the agent's config, used by group selectors. */
export const labelKey = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/, "must be 1-63 letters, digits, '.', '_', '/' or '-'"),
  );
export const labelValue = z.string().check(z.maxLength(256, "must be at most 256 characters"));
export const labels = z
  .record(labelKey, labelValue)
  .check(z.refine((value) => Object.keys(value).length <= 64, "at most 64 labels"));

/** logind's metadata `type`, or "unknown" for hosts older than systemd 255. */
export const shutdownType = z.enum(["poweroff", "reboot", "halt", "kexec", "soft-reboot", "unknown"]);
export type ShutdownType = z.infer<typeof shutdownType>;
