import { createHash } from "node:crypto";

/** The fleet's seed: the same seed gives the same machines, timings and faults. */
export type Seed = number | string;

/** A key for one seeded draw: the seed, then what it is for (e.g. "boot-id", node index, boot number). */
export type SeedKey = readonly (string | number)[];

function digest(seed: Seed, key: SeedKey): Buffer {
  return createHash("sha256")
    .update(JSON.stringify([seed, ...key]))
    .digest();
}

/** A fixed stream of numbers in [0, 1) for one purpose (mulberry32 seeded from a hash of the key). */
export function seededRandom(seed: Seed, ...key: SeedKey): () => number {
  let state = digest(seed, key).readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` lowercase hex digits (at most 64), fixed by the key. */
export function seededHex(seed: Seed, length: number, ...key: SeedKey): string {
  return digest(seed, key).toString("hex").slice(0, length);
}

/** A random (version 4) UUID, fixed by the key: the form of /proc/sys/kernel/random/boot_id. */
export function seededUuid(seed: Seed, ...key: SeedKey): string {
  const bytes = digest(seed, key).subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A value in [min, max) drawn from `random`. */
export function between(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}
