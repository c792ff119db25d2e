import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DEMO_UNITS, IN_NODE } from "./layout";
import { LAB_NETWORK } from "./network";

export interface NodeConfig {
  name: string;
  controlUrl: string;
  token?: string;
  /** The CA that signed control's certificate: installed in the node, and the agent trusts it. */
  caPem?: string;
  ports: { survivor: number; ordinary: number; fdstore: number; container: number; portable: number };
  /** The node's address on the lab network (host0, configured by systemd-networkd). */
  address: string;
  /** The portable service's image directory name under the cache's layers. */
  portableImageName: string;
  /** The softfleet layer's directory name under the cache's layers (the demo scripts live in it). */
  softfleetLayerName: string;
}

/**
 * Writes the node's own layer: identity (machine-id, hostname), the agent's
 * configuration and the demo services' ports. It sits on top of the image in
 * the node's root and in every root staged for it, so a soft-reboot into a
 * new image keeps the node's identity.
 */
export async function writeConfigLayer(dir: string, config: NodeConfig): Promise<void> {
  const files = nodeFiles(config);
  const agent = {
    controlUrl: config.controlUrl,
    ...(config.token ? { enrollmentToken: config.token } : {}),
    ...(config.caPem ? { caFile: "/etc/softfleet/ca.pem" } : {}),
    // The survivor is not listed: the agent finds the units configured to survive by itself.
    watchUnits: [DEMO_UNITS.ordinary],
    labels: { lab: "true" },
    // A survivor stopped in a test lets the old root go: the warning should end within seconds.
    pinnedRootScanSec: 5,
    // A payload a test starts is watched within seconds.
    payloadDiscoverySec: 3,
    // The agent's credential and last state live in a host folder under /run/host: systemd
    // carries /run/host (and the mounts below it) over every soft-reboot, staged image or
    // not, while a bind mount on /var/lib would be unmounted by the soft-reboot's shutdown.
    stateDir: IN_NODE.agentState,
    // Images it downloads are unpacked under /run/host too (not on the root they replace), and
    // each gets this layer's files: a downloaded image has no identity, agent config or network.
    staging: { imagesDir: IN_NODE.images, keepPaths: keepPathsOf([...Object.keys(files), AGENT_CONFIG]) },
  };
  files[AGENT_CONFIG] = `${JSON.stringify(agent, null, 2)}\n`;
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: path === AGENT_CONFIG ? 0o600 : 0o644 });
  }
}

const AGENT_CONFIG = "etc/softfleet/agent.json";
/** Directories of the config layer that belong to the node as a whole: kept as one path. */
const KEPT_WHOLE = ["etc/softfleet"];

/**
 * The absolute paths an image staged for the node must take from its current
 * root: each file of the config layer (given relative to it), a file under a
 * directory kept whole as that directory.
 */
export function keepPathsOf(layerFiles: string[]): string[] {
  const kept = layerFiles.map((path) => KEPT_WHOLE.find((dir) => path.startsWith(`${dir}/`)) ?? path);
  return [...new Set(kept)].sort().map((path) => `/${path}`);
}

/** Every file of the node's layer but the agent's config (which lists them), by path in the image. */
function nodeFiles(config: NodeConfig): Record<string, string> {
  return {
    "etc/machine-id": `${randomUUID().replaceAll("-", "")}\n`,
    "etc/hostname": `${config.name}\n`,
    ...(config.caPem ? { "etc/softfleet/ca.pem": config.caPem } : {}),
    "etc/softfleet/demo.env": [
      `SOFTFLEET_DEMO_SURVIVOR_PORT=${config.ports.survivor}`,
      `SOFTFLEET_DEMO_ORDINARY_PORT=${config.ports.ordinary}`,
      `SOFTFLEET_DEMO_FDSTORE_PORT=${config.ports.fdstore}`,
      `SOFTFLEET_DEMO_CONTAINER_PORT=${config.ports.container}`,
      `SOFTFLEET_DEMO_PORTABLE_PORT=${config.ports.portable}`,
      `SOFTFLEET_PORTABLE_IMAGE=${IN_NODE.layers}/${config.portableImageName}`,
      "",
    ].join("\n"),
    "etc/softfleet/prober.env": [
      // Every 25 ms rather than 10: five targets on each of several nodes on two cores would
      // otherwise take most of the CPU the nodes' soft-reboots need. A gap is then over 75 ms.
      "SOFTFLEET_PROBE_INTERVAL_MS=25",
      // What the prober probes: each demo as its clients reach it.
      `SOFTFLEET_PROBE_TARGETS="${[
        `survivor=http://127.0.0.1:${config.ports.survivor}/`,
        `ordinary=http://127.0.0.1:${config.ports.ordinary}/`,
        `fdstore=tcp://127.0.0.1:${config.ports.fdstore}`,
        `container=http://127.0.0.1:${config.ports.container}/`,
        `portable=http://127.0.0.1:${config.ports.portable}/`,
      ].join(" ")}"`,
      "",
    ].join("\n"),
    // The survivors run from their own root: their scripts come from the softfleet layer, through /run/host.
    [`etc/systemd/system/${DEMO_UNITS.survivor}.d/50-softfleet-layer.conf`]: [
      "[Service]",
      `BindReadOnlyPaths=${IN_NODE.layers}/${config.softfleetLayerName}/usr/lib/softfleet:/srv`,
      "",
    ].join("\n"),
    // The prober as its unit's comment says to run it: from a root of its own (the lab's Debian base).
    [`etc/systemd/system/${DEMO_UNITS.prober}.d/50-own-root.conf`]: [
      "[Service]",
      `RootDirectory=${IN_NODE.layers}/base`,
      `BindReadOnlyPaths=${IN_NODE.layers}/${config.softfleetLayerName}/usr/lib/softfleet:/srv`,
      "ExecStart=",
      "ExecStart=/usr/bin/node /srv/softfleet-prober.mjs /run/softfleet-prober/gaps.json $SOFTFLEET_PROBE_TARGETS",
      "",
    ].join("\n"),
    [`etc/systemd/network/${LAB_NETWORK_FILE}`]: labNetworkFile(config.address),
    [`etc/systemd/system/${SHARED_ROOT_UNIT}`]: SHARED_ROOT_SERVICE,
    "etc/systemd/system/systemd-logind.service.d/softfleet-lab-shared-root.conf": LOGIND_AFTER_SHARED_ROOT,
  };
}

/**
 * host0, the node's end of its veth on the lab's bridge: a static address that
 * networkd keeps through a soft-reboot (KeepConfiguration=static: a restarted
 * networkd adopts the address instead of dropping and re-adding it). Ahead of
 * systemd's own 80-container-host0.network, which would ask for DHCP.
 */
export const LAB_NETWORK_FILE = "10-softfleet-lab.network";
const labNetworkFile = (address: string) => `[Match]
Name=host0

[Network]
Address=${address}/${LAB_NETWORK.prefixLength}
KeepConfiguration=static
LinkLocalAddressing=no
IPv6AcceptRA=no
LLDP=no
`;

/**
 * PID 1 in a container leaves mount propagation to the container manager: nspawn
 * makes the first root shared, but the root a soft-reboot switches into stays
 * private. logind (in a mount namespace of its own) then never sees a
 * /run/nextroot staged later, and RebootWithFlags(SOFT_REBOOT_IF_NEXTROOT_SET_UP),
 * the agent's call, falls back to a full reboot, which ends the node. Marking
 * the root shared before logind starts restores the first boot's view (an
 * ExecStartPre=+ in logind's own unit did not: the root stayed private).
 */
const SHARED_ROOT_UNIT = "softfleet-lab-shared-root.service";
const SHARED_ROOT_SERVICE = `[Unit]
Description=Shared mount propagation on / (lab: as nspawn sets it up at the first boot)
DefaultDependencies=no

[Service]
# Not RemainAfterExit: an active unit would be carried over the soft-reboot and not run again.
Type=oneshot
ExecStart=/usr/bin/mount --make-rshared /
`;
const LOGIND_AFTER_SHARED_ROOT = `[Unit]
Wants=${SHARED_ROOT_UNIT}
After=${SHARED_ROOT_UNIT}
`;
