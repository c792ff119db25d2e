import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LabError } from "./errors";

/** Where everything lives: on the host, and as the nodes see it. */

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
/** The files the lab adds to every image besides the agent (demo services), laid out as in the image. */
export const IMAGE_TEMPLATE_DIR = fileURLToPath(new URL("../image", import.meta.url));
export const AGENT_BUNDLE = join(REPO_ROOT, "packages/agent/dist/softfleet-agent.mjs");
export const AGENT_UNIT = join(REPO_ROOT, "packages/agent/systemd/softfleet-agent.service");
/** The unit the agent starts per stage command: the part of staging that mounts. */
export const AGENT_STAGER_UNIT = join(REPO_ROOT, "packages/agent/systemd/softfleet-stager@.service");
/** The client-visible downtime prober, shipped with the agent: its script and its unit. */
export const PROBER_SCRIPT = join(REPO_ROOT, "packages/agent/prober/softfleet-prober.mjs");
export const PROBER_UNIT = join(REPO_ROOT, "packages/agent/systemd/softfleet-prober.service");
/** The polkit rule that lets the agent skip block inhibitors when an operator says so. */
export const AGENT_POLKIT_RULE = join(REPO_ROOT, "packages/agent/polkit/50-softfleet-agent.rules");

export const LAB_STATE_DIR = "/var/lib/softfleet-lab";
export const STATE_FILE = join(LAB_STATE_DIR, "state.json");

/**
 * The image cache, shared by all nodes and kept across `lab down`.
 * Its paths end up in overlayfs options and nspawn --bind= arguments, where
 * ":" and "," are separators.
 */
export function cacheDir(): string {
  const dir = process.env.SOFTFLEET_LAB_CACHE || "/var/cache/softfleet-lab";
  if (!dir.startsWith("/") || /[:,\s]/.test(dir)) {
    throw new LabError(
      "bad-input",
      `SOFTFLEET_LAB_CACHE=${dir}: must be an absolute path without ":", "," or spaces`,
      "set it to a plain absolute directory such as /var/cache/softfleet-lab",
    );
  }
  return dir;
}

export const cachePaths = () => {
  const root = cacheDir();
  const layers = join(root, "layers");
  return {
    root,
    manifest: join(root, "manifest.json"),
    logs: join(root, "logs"),
    layers,
    /** Debian trixie from debootstrap, with IMAGE_ID/IMAGE_VERSION=1: the slow layer, built once. */
    base: join(layers, "base"),
    /** Agent, its unit and the demo services: cheap, one directory per content hash. */
    softfleet: (hash: string) => join(layers, `softfleet-${hash}`),
    /** Only usr/lib/os-release with IMAGE_VERSION=version. */
    version: (version: string) => join(layers, `version-${version}`),
    /** Root file system tarballs for agents to download (control serves this directory: SOFTFLEET_IMAGES_DIR). */
    images: join(root, "images"),
  };
};

/** Where `lab image` writes its tarballs: the directory control serves to agents (SOFTFLEET_IMAGES_DIR). */
export const labImagesDir = () => cachePaths().images;

export function nodePaths(name: string) {
  const node = join(LAB_STATE_DIR, "nodes", name);
  return {
    node,
    /** The node's root: overlay of config + softfleet layer + base, mounted on the host. */
    root: join(node, "root"),
    upper: join(node, "upper"),
    work: join(node, "work"),
    /** Per-node layer: machine-id, hostname, agent.json, demo.env. */
    config: join(node, "config"),
    /** Upper and work directories of staged next roots. */
    stage: join(node, "stage"),
    /** The agent's state directory, kept across image switches like /var on a real host. */
    agentState: join(node, "agent-state"),
    /** Podman's storage: outside the node's root, so a surviving container holds nothing of it. */
    containers: join(node, "containers"),
    /** Images the node's agent downloads and unpacks (bound read-write at IN_NODE.images). */
    images: join(node, "images"),
    consoleLog: join(node, "console.log"),
  };
}
export type NodePaths = ReturnType<typeof nodePaths>;

/**
 * Host directories bound into every node under /run/host: systemd's switch-root
 * carries /run/host over a soft-reboot (with everything mounted below it), so
 * they stay usable for staging the next image after the first soft-reboot too.
 */
export const IN_NODE = {
  layers: "/run/host/softfleet-images",
  config: "/run/host/softfleet-config",
  stage: "/run/host/softfleet-stage",
  agentState: "/run/host/softfleet-agent-state",
  agentStateTarget: "/var/lib/softfleet-agent",
  containers: "/run/host/softfleet-containers",
  /**
   * The agent's staged images: a root switched into from here is not on the
   * node's old root file system, and the directory is still there after the switch.
   */
  images: "/run/host/softfleet-node-images",
  nextroot: "/run/nextroot",
} as const;

export const DEMO_UNITS = {
  survivor: "softfleet-demo-survivor.service",
  ordinary: "softfleet-demo-ordinary.service",
  /** An ordinary service that keeps its sockets and a memfd in systemd's fd store. */
  fdstore: "softfleet-demo-fdstore.service",
  /** A Podman container (quadlet) that survives soft-reboots, serving HTTP. */
  container: "softfleet-demo-web.service",
  /** A portable service (portablectl attach) that survives soft-reboots, from its own image. */
  portable: "softfleet-portable.service",
  /** The client-visible downtime prober: a survivor that probes the demos every 10 ms. */
  prober: "softfleet-prober.service",
  /** A survivor run from the host root, so it pins the old root (not enabled: tests turn it on). */
  badSurvivor: "softfleet-demo-bad-survivor.service",
  /** A survivor whose D-Bus connection breaks in a soft-reboot, so it restarts (not enabled: tests turn it on). */
  busSurvivor: "softfleet-demo-bus-survivor.service",
} as const;
export const AGENT_UNIT_NAME = "softfleet-agent.service";

/** Control as the nodes reach it: on the lab network's gateway, over TLS (`npm start -- --lab N` sets this up). */
export const DEFAULT_CONTROL_URL = "https://10.213.0.1:3001";
export const nodeName = (index: number) => `sf-lab-${index}`;
/** Each demo service's port on node N (distinct per node, so a port names its node in logs and probes too). */
export const nodePorts = (index: number) => ({
  survivor: 18000 + index,
  ordinary: 19000 + index,
  fdstore: 20000 + index,
  container: 21000 + index,
  portable: 22000 + index,
});
