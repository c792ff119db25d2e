import { mkdir } from "node:fs/promises";
import { ensureAgentFiles } from "./agent";
import { BASE_IMAGE_VERSION, baseIsBuilt, baseOutdated, buildBaseLayer } from "./base";
import { LabError } from "./errors";
import { type AgentFiles, ensureSoftfleetLayer, pruneSoftfleetLayers, removeVersionLayers } from "./layers";
import { cachePaths } from "./layout";
import { type Manifest, readManifest, writeManifest } from "./manifest";
import { removePortableImages } from "./portable";
import { assertPrerequisites } from "./prereq";
import { progress } from "./progress";
import { readState, withStateLock } from "./state";

export interface BuildOptions {
  /** Run debootstrap again even when the base layer is cached (needs every node down). */
  force?: boolean;
  /**
   * The agent to install. Default: the real one from packages/agent (bundle
   * built when missing). Only for developing the lab itself with a stand-in.
   */
  agent?: AgentFiles;
}

/**
 * Builds the image once and keeps it in the cache: the base layer (debootstrap,
 * slow) only when missing; the softfleet layer (agent + demo services, cheap)
 * whenever its files changed. Idempotent; the manifest records what is there.
 */
export async function buildImage(options: BuildOptions = {}): Promise<Manifest> {
  assertPrerequisites();
  const p = progress("lab build");
  return withStateLock(async () => {
    await mkdir(cachePaths().layers, { recursive: true });
    const manifest = await readManifest();
    const nodes = Object.values((await readState()).nodes);

    const outdated = baseIsBuilt(manifest.base) ? baseOutdated(manifest.base) : null;
    if (outdated) p.say(`base layer: rebuilding it: ${outdated}`);
    if (baseIsBuilt(manifest.base) && !options.force && !outdated) {
      p.say(
        `base layer: cached (Debian ${manifest.base.suite}, built ${manifest.base.builtAt} in ${manifest.base.seconds} s)`,
      );
    } else {
      if (nodes.length > 0) {
        throw new LabError(
          "busy",
          `rebuilding the base layer would change the root of running nodes (${nodes.map((n) => n.name).join(", ")})`,
          "run `npm run lab -- down` first",
        );
      }
      manifest.base = await buildBaseLayer(p);
      manifest.softfleet = undefined;
      manifest.images = undefined;
      await writeManifest(manifest);
      await removeVersionLayers();
      await removePortableImages();
    }

    const agent = options.agent ?? (await ensureAgentFiles(p));
    const { layer, created } = await ensureSoftfleetLayer(agent);
    const bundle = layer.files.find((file) => file.source === agent.bundle);
    if (created || manifest.softfleet?.hash !== layer.hash) {
      manifest.softfleet = layer;
      await writeManifest(manifest);
    }
    p.say(
      `softfleet layer: ${created ? "installed" : "up to date"} (${layer.dir}; agent bundle sha256 ${bundle?.sha256.slice(0, 16)}…)`,
    );

    const keep = new Set([layer.dir, ...nodes.map((node) => node.softfleetLayer)]);
    const pruned = await pruneSoftfleetLayers(keep);
    if (pruned.length > 0) p.say(`removed unused softfleet layers: ${pruned.join(", ")}`);
    p.say(`image ready: IMAGE_ID=softfleet-lab IMAGE_VERSION=${BASE_IMAGE_VERSION}, manifest ${cachePaths().manifest}`);
    return manifest;
  });
}

/** The built image, or an error saying to build it. */
export async function builtImage(): Promise<Required<Pick<Manifest, "base" | "softfleet">>> {
  const manifest = await readManifest();
  if (!baseIsBuilt(manifest.base) || !manifest.softfleet) {
    throw new LabError("not-built", `no lab image in ${cachePaths().root}`, "run `npm run lab -- build` first");
  }
  return { base: manifest.base, softfleet: manifest.softfleet };
}
