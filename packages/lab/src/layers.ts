import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { withImageVersion } from "./base";
import { LabError } from "./errors";
import { removeTree } from "./fsops";
import {
  AGENT_POLKIT_RULE,
  AGENT_STAGER_UNIT,
  AGENT_UNIT_NAME,
  cachePaths,
  DEMO_UNITS,
  IMAGE_TEMPLATE_DIR,
  PROBER_SCRIPT,
  PROBER_UNIT,
} from "./layout";
import type { InstalledFile, Manifest } from "./manifest";

/**
 * The cheap layers over the base: the softfleet layer (agent + demo services,
 * one directory per content hash, so a changed agent bundle is a new small
 * layer instead of a new debootstrap) and version layers (only os-release).
 * A layer is never changed once written: running nodes may be using it.
 */

export interface AgentFiles {
  bundle: string;
  unit: string;
}

type SoftfleetManifest = NonNullable<Manifest["softfleet"]>;

/**
 * Units of the base's packages turned on: Podman's REST API, which the agent
 * lists containers from, and systemd-networkd, which configures the node's
 * link on the lab network (and which the agent reads links from).
 */
const ENABLED_SOCKETS = ["podman.socket", "systemd-networkd.socket"];
const ENABLED_SYSTEM_UNITS = ["systemd-networkd.service"];
/** D-Bus activation names a unit by its alias: systemctl enable makes the same link. */
const ALIASES = { "dbus-org.freedesktop.network1.service": "systemd-networkd.service" };

const ENABLED_UNITS = [
  AGENT_UNIT_NAME,
  DEMO_UNITS.survivor,
  DEMO_UNITS.ordinary,
  DEMO_UNITS.fdstore,
  DEMO_UNITS.prober,
  "softfleet-portable-attach.service",
];

/** Every file of the softfleet layer: where it goes in the image and where it comes from. */
async function softfleetFiles(agent: AgentFiles): Promise<InstalledFile[]> {
  const sources = [
    { path: "usr/lib/softfleet/softfleet-agent.mjs", source: agent.bundle },
    { path: `etc/systemd/system/${AGENT_UNIT_NAME}`, source: agent.unit },
    // The stager the agent starts per stage command (it may mount; the agent may not).
    { path: "etc/systemd/system/softfleet-stager@.service", source: AGENT_STAGER_UNIT },
    // The prober ships with the agent; the node's config layer runs it from a root of its own.
    { path: "usr/lib/softfleet/softfleet-prober.mjs", source: PROBER_SCRIPT },
    { path: `etc/systemd/system/${DEMO_UNITS.prober}`, source: PROBER_UNIT },
    { path: "etc/polkit-1/rules.d/50-softfleet-agent.rules", source: AGENT_POLKIT_RULE },
    ...(await listFiles(IMAGE_TEMPLATE_DIR)).map((source) => ({ path: relative(IMAGE_TEMPLATE_DIR, source), source })),
  ];
  return Promise.all(sources.map(async (file) => ({ ...file, sha256: sha256(await readFile(file.source)) })));
}

/** Installs the softfleet layer unless one with the same content exists already. */
export async function ensureSoftfleetLayer(agent: AgentFiles): Promise<{ layer: SoftfleetManifest; created: boolean }> {
  const files = await softfleetFiles(agent);
  const listing = files
    .map((file) => `${file.sha256}  ${file.path}`)
    .sort()
    .join("\n");
  const enabled = [...ENABLED_UNITS, ...ENABLED_SOCKETS, ...ENABLED_SYSTEM_UNITS, ...Object.keys(ALIASES)];
  const hash = sha256(`softfleet-layer v1\n${listing}\n${enabled.join(" ")}`).slice(0, 16);
  const dir = cachePaths().softfleet(hash);
  const layer = { dir, hash, installedAt: new Date().toISOString(), files };
  if (existsSync(dir)) return { layer, created: false };

  const partial = `${dir}.partial`;
  if (existsSync(partial)) await removeTree(partial);
  for (const file of files) {
    const target = join(partial, file.path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(file.source, target);
    // Scripts stay executable; everything else is read-only data.
    await chmod(target, (await stat(file.source)).mode & 0o111 ? 0o755 : 0o644);
  }
  const wants = join(partial, "etc/systemd/system/multi-user.target.wants");
  await mkdir(wants, { recursive: true });
  for (const unit of ENABLED_UNITS) await symlink(`../${unit}`, join(wants, unit));
  for (const unit of ENABLED_SYSTEM_UNITS) await symlink(`/usr/lib/systemd/system/${unit}`, join(wants, unit));
  for (const [alias, unit] of Object.entries(ALIASES)) {
    await symlink(`/usr/lib/systemd/system/${unit}`, join(partial, "etc/systemd/system", alias));
  }
  const sockets = join(partial, "etc/systemd/system/sockets.target.wants");
  await mkdir(sockets, { recursive: true });
  for (const unit of ENABLED_SOCKETS) await symlink(`/usr/lib/systemd/system/${unit}`, join(sockets, unit));
  await rename(partial, dir);
  return { layer, created: true };
}

/** Removes softfleet layers other than those listed (the current one and those nodes still use). */
export async function pruneSoftfleetLayers(keep: Set<string>): Promise<string[]> {
  const { layers } = cachePaths();
  const removed: string[] = [];
  for (const entry of await readdir(layers).catch(() => [])) {
    const dir = join(layers, entry);
    if (entry.startsWith("softfleet-") && !keep.has(dir)) {
      await removeTree(dir);
      removed.push(entry);
    }
  }
  return removed;
}

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~+-]{0,63}$/;

export function checkVersion(version: string): void {
  if (!VERSION_PATTERN.test(version)) {
    throw new LabError(
      "bad-input",
      `--version ${JSON.stringify(version)}: use letters, digits and . _ ~ + - (up to 64), e.g. 2 or 2025.11.1`,
    );
  }
}

/** The layer that makes the base say IMAGE_VERSION=version: one os-release file. */
export async function ensureVersionLayer(version: string, baseDir: string): Promise<string> {
  checkVersion(version);
  const dir = cachePaths().version(version);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial`;
  if (existsSync(partial)) await removeTree(partial);
  const osRelease = await readFile(join(baseDir, "usr/lib/os-release"), "utf8");
  await mkdir(join(partial, "usr/lib"), { recursive: true });
  await writeFile(join(partial, "usr/lib/os-release"), withImageVersion(osRelease, version));
  await rename(partial, dir);
  return dir;
}

/** Version layers and image tarballs derive from the base: a rebuilt base drops them. */
export async function removeVersionLayers(): Promise<void> {
  const { layers, images } = cachePaths();
  for (const entry of await readdir(layers).catch(() => [])) {
    if (entry.startsWith("version-")) await removeTree(join(layers, entry));
  }
  await rm(images, { recursive: true, force: true });
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)])),
  );
  return nested.flat();
}

export const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
