import { z } from "zod";
import { readJsonFile, writeJsonFile } from "./jsonfile";
import { cachePaths } from "./layout";

/** What the image cache holds: written after each layer is complete, so it never names a half-built one. */

const installedFileSchema = z.object({ path: z.string(), source: z.string(), sha256: z.string() });
export type InstalledFile = z.infer<typeof installedFileSchema>;

const manifestSchema = z.object({
  base: z
    .object({
      dir: z.string(),
      builtAt: z.string(),
      seconds: z.number(),
      suite: z.string(),
      mirror: z.string(),
      debootstrapArgs: z.array(z.string()),
      imageId: z.string(),
      imageVersion: z.string(),
    })
    .optional(),
  softfleet: z
    .object({
      dir: z.string(),
      /** sha256 over every file of the layer, also its directory name. */
      hash: z.string(),
      installedAt: z.string(),
      files: z.array(installedFileSchema),
    })
    .optional(),
  /** Root file system tarballs by IMAGE_VERSION (`lab image`), in <cache>/images. */
  images: z
    .record(z.string(), z.object({ file: z.string(), sha256: z.string(), bytes: z.number(), builtAt: z.string() }))
    .optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export async function readManifest(): Promise<Manifest> {
  return (await readJsonFile(cachePaths().manifest, manifestSchema)) ?? {};
}

export async function writeManifest(manifest: Manifest): Promise<void> {
  await writeJsonFile(cachePaths().manifest, manifest);
}
