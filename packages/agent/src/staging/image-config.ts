/** How the built-in image stager is set up on a node, with its defaults. */
import { isAbsolute, posix } from "node:path";
import * as z from "@softfleet/protocol/zod";
import type { Bind } from "./mounts";

export interface ImageStagerConfig {
  /** One folder per version, plus .partial/ for downloads under way. */
  imagesDir: string;
  /** "/run/nextroot" in production. */
  nextroot: string;
  /** "/" in production: where keepPaths are copied from. */
  hostRoot: string;
  /** Machine-specific files an image does not carry (machine-id, hostname, the agent's config), copied into the tree. */
  keepPaths: string[];
  /** Bind-mounted under nextroot once the tree is mounted, so they carry into the new root. */
  binds: Bind[];
  /** A cap per node; null: none. */
  bandwidthBytesPerSec: number | null;
  /** PEM of the CA for https (control's CA); absent: the system's CAs. */
  ca?: string | Buffer;
  /** No byte from the server for this long: the download fails. */
  fetchTimeoutMs: number;
}

const treePath = z
  .string()
  .check(
    z.refine(
      (p) => isAbsolute(p) && posix.normalize(p) === p && p !== "/",
      "must be an absolute, normalized path below /",
    ),
  );

export const imageStagerConfigSchema = z.strictObject({
  imagesDir: z._default(
    z.string().check(z.refine(isAbsolute, "must be an absolute path")),
    "/var/lib/softfleet/images",
  ),
  nextroot: z._default(z.string().check(z.refine(isAbsolute, "must be an absolute path")), "/run/nextroot"),
  hostRoot: z._default(z.string().check(z.refine(isAbsolute, "must be an absolute path")), "/"),
  keepPaths: z._default(z.array(treePath), ["/etc/machine-id", "/etc/hostname", "/etc/softfleet"]),
  binds: z._default(
    z.array(
      z.strictObject({ source: z.string().check(z.refine(isAbsolute, "must be an absolute path")), target: treePath }),
    ),
    [],
  ),
  bandwidthBytesPerSec: z._default(
    z.nullable(z.number().check(z.int(), z.minimum(1024, "must be at least 1024 bytes per second"))),
    null,
  ),
  ca: z.optional(z.union([z.string(), z.instanceof(Buffer)])),
  fetchTimeoutMs: z._default(z.number().check(z.int(), z.minimum(1000), z.maximum(600_000)), 60_000),
});

/** The config with every default filled in. */
export function imageStagerConfig(input: z.input<typeof imageStagerConfigSchema> = {}): ImageStagerConfig {
  return imageStagerConfigSchema.parse(input);
}
