import { z } from "zod";

export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof weekdays)[number];

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day as HH:MM, from 00:00 to 23:59");

/**
 * Days and hours, on the wall clock of `timeZone`, in which new batches and reboots may start.
 * A window whose end is before its start runs past midnight and belongs to the day it starts;
 * start equal to end is the whole day.
 */
export const maintenanceWindow = z.object({
  days: z.array(z.enum(weekdays)).min(1, "must have at least one day"),
  start: clockTime,
  end: clockTime,
  timeZone: z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/Berlin"),
});
export type MaintenanceWindow = z.infer<typeof maintenanceWindow>;

const count = z.number().int("must be a whole number");
/** Node counts: bounded, so no arithmetic on them can overflow or loop for long. */
const nodes = count.max(1_000_000, "must be at most 1,000,000 nodes");
const percent = count.min(1, "must be at least 1 %").max(100, "must be at most 100 %");

export const rolloutPlan = z.object({
  /** The first nodes, rebooted alone as a batch of their own; null: no canary. */
  canary: z
    .strictObject({ count: nodes.min(1, "must be at least 1 node") })
    .nullable()
    .default({ count: 1 }),
  /** A batch is `size` nodes, or `percent` of the whole group (rounded up). */
  batch: z
    .union([z.strictObject({ size: nodes.min(1, "must be at least 1 node") }), z.strictObject({ percent })], {
      error: "must be either a size in nodes or a percentage, not both",
    })
    .default({ percent: 25 }),
  /** Nodes rebooting at the same time, across the whole rollout. */
  maxUnavailable: nodes.min(1, "must be at least 1 node").default(1),
  /** Wait after a batch finished before the next one starts (at most a day: every wait is a timer). */
  settleSec: count.min(0, "must not be negative").max(86_400, "must be at most 86400 seconds (a day)").default(30),
  approveAfterCanary: z.boolean().default(false),
  window: maintenanceWindow.nullable().default(null),
  /** The image version the nodes must run after the reboot (staged at /run/nextroot before it). */
  targetImageVersion: z.string().min(1, "must not be empty").max(128).nullable().default(null),
  /**
   * Where the target image comes from: the rollout stages it on each node itself (ahead of the
   * node's batch) instead of relying on one staged by someone else. A path ("/images/x.tar") is
   * served by control to its agents; else an https URL. Needs targetImageVersion.
   */
  image: z
    .strictObject({
      url: z
        .string()
        .min(1, "must not be empty")
        .max(2048)
        .refine(
          (url) => url.startsWith("/") || /^https:\/\/[^/\s]+/.test(url),
          "must be a path on control (/images/…) or an https:// URL",
        ),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be the image's SHA-256: 64 hex digits"),
    })
    .nullable()
    .default(null),
  staging: z
    .strictObject({
      /** Nodes staging at once, across the rollout (the next batch stages while one reboots). */
      concurrency: nodes.min(1, "must be at least 1 node").default(2),
      /** A cap on each node's download, in MB/s; null: none. */
      bandwidthMBps: z.number().positive("must be more than 0").max(100_000).nullable().default(null),
      /** A node whose staging takes longer fails. */
      timeoutSec: count
        .min(10, "must be at least 10 seconds")
        .max(86_400, "must be at most 86400 seconds (a day)")
        .default(1800),
    })
    .prefault({}),
  /** A node without the target staged: skip it, or fail it (counts towards the failure threshold). */
  whenNotStaged: z.enum(["skip", "fail"]).default("fail"),
  /**
   * How long a node held by block inhibitors (systemd >= 257 honours them even for root) may
   * wait for them to go before it fails with who holds it; 0 fails it at once.
   */
  blockedTimeoutSec: count
    .min(0, "must not be negative")
    .max(86_400, "must be at most 86400 seconds (a day)")
    .default(600),
  gate: z
    .object({
      /** From the reboot command to the node back online with its reboot record. */
      returnTimeoutSec: count
        .min(1, "must be at least 1 second")
        .max(86_400, "must be at most 86400 seconds (a day)")
        .default(300),
      requiredUnits: z.array(z.string().min(1).max(256)).max(200).default([]),
      /** Longest acceptable downtime of one node; null: not checked. */
      maxDowntimeMs: z
        .number()
        .positive("must be more than 0")
        .max(86_400_000, "must be at most 86400000 ms (a day)")
        .nullable()
        .default(null),
      /** Halt when a unit configured to survive soft-reboots (SurviveFinalKillSignal=yes) restarted instead. */
      haltOnSurvivorRestart: z.boolean().default(false),
      /** Halt when a node's old root is still held after its soft-reboot by more than this (Pss, MB); null: not checked. */
      maxPinnedRootMb: z
        .number()
        .min(0, "must not be negative")
        .max(1_000_000, "must be at most 1000000 MB")
        .nullable()
        .default(null),
    })
    .prefault({}),
  /**
   * A node that fails its health gate (or comes back on the wrong image) is soft-rebooted back
   * into the image it ran before, which its agent kept; the rollout then halts.
   */
  autoRollback: z.boolean().default(false),
  /** The rollout halts when the failed nodes EXCEED this; { count: 0 } halts at the first failure. */
  failureThreshold: z
    .union(
      [
        z.strictObject({ count: nodes.min(0, "must not be negative") }),
        z.strictObject({ percent: count.min(0, "must not be negative").max(100, "must be at most 100 %") }),
      ],
      { error: "must be either a count of nodes or a percentage, not both" },
    )
    .default({ count: 0 }),
});
/** A plan as stored: every default filled in. */
export type RolloutPlan = z.infer<typeof rolloutPlan>;
/** A plan as a form or API sends it: defaults optional. */
export type RolloutPlanInput = z.input<typeof rolloutPlan>;
