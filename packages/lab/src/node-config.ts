import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DEMO_UNITS, IN_NODE } from "./layout";

export interface NodeConfig {
  name: string;
  controlUrl: string;
  token?: string;
  ports: { survivor: number; ordinary: number };
}

/**
 * Writes the node's own layer: identity (machine-id, hostname), the agent's
 * configuration and the demo services' ports. It sits on top of the image in
 * the node's root and in every root staged for it, so a soft-reboot into a
 * new image keeps the node's identity.
 */
export async function writeConfigLayer(dir: string, config: NodeConfig): Promise<void> {
  const agent = {
    controlUrl: config.controlUrl,
    ...(config.token ? { enrollmentToken: config.token } : {}),
    watchUnits: [DEMO_UNITS.survivor, DEMO_UNITS.ordinary],
    labels: { lab: "true" },
    // The agent's credential and last state live in a host folder under /run/host: systemd
    // carries /run/host (and the mounts below it) over every soft-reboot, staged image or
    // not, while a bind mount on /var/lib would be unmounted by the soft-reboot's shutdown.
    stateDir: IN_NODE.agentState,
  };
  const files: Record<string, string> = {
    "etc/machine-id": `${randomUUID().replaceAll("-", "")}\n`,
    "etc/hostname": `${config.name}\n`,
    "etc/softfleet/agent.json": `${JSON.stringify(agent, null, 2)}\n`,
    "etc/softfleet/demo.env": [
      `SOFTFLEET_DEMO_SURVIVOR_PORT=${config.ports.survivor}`,
      `SOFTFLEET_DEMO_ORDINARY_PORT=${config.ports.ordinary}`,
      "",
    ].join("\n"),
  };
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: path.endsWith("agent.json") ? 0o600 : 0o644 });
  }
}
