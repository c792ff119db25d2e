import { listNodes } from "./inside";
import { DEMO_UNITS, IN_NODE } from "./layout";
import { nsenter } from "./nspawn";

export interface ServiceStatus {
  activeState: string;
  subState: string;
  mainPid: number | null;
  invocationId: string | null;
}

export interface NodeStatus {
  name: string;
  running: boolean;
  nspawnPid: number | null;
  leaderPid: number | null;
  /** is-system-running: running, degraded, starting, stopping (mid soft-reboot)… */
  systemState: string | null;
  bootId: string | null;
  softRebootsCount: number | null;
  imageVersion: string | null;
  /** IMAGE_VERSION of the tree mounted at /run/nextroot, null when nothing is staged. */
  nextrootVersion: string | null;
  survivor: ServiceStatus | null;
  ordinary: ServiceStatus | null;
  ports: { survivor: number; ordinary: number };
}

/**
 * Read inside the node, from systemd itself. Each line is KEY=VALUE; a query
 * that fails (the bus is down mid soft-reboot) leaves its value empty rather
 * than failing the whole status.
 */
const STATUS_SCRIPT = `
echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"
echo "system=$(systemctl is-system-running 2>/dev/null)"
echo "soft_reboots=$(busctl --timeout=2 get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager SoftRebootsCount 2>/dev/null | cut -d' ' -f2)"
echo "image_version=$(. /etc/os-release; echo "\${IMAGE_VERSION:-}")"
if mountpoint -q ${IN_NODE.nextroot}; then
  echo "nextroot=$(. ${IN_NODE.nextroot}/etc/os-release; echo "\${IMAGE_VERSION:-}")"
fi
for unit in ${DEMO_UNITS.survivor} ${DEMO_UNITS.ordinary}; do
  systemctl show -p ActiveState,SubState,MainPID,InvocationID "$unit" 2>/dev/null | sed "s/^/$unit./"
done
`;

export async function status(): Promise<NodeStatus[]> {
  const nodes = await listNodes();
  return Promise.all(
    nodes.map(async (node): Promise<NodeStatus> => {
      const base: NodeStatus = {
        ...node,
        systemState: null,
        bootId: null,
        softRebootsCount: null,
        imageVersion: null,
        nextrootVersion: null,
        survivor: null,
        ordinary: null,
      };
      if (!node.running || node.leaderPid === null) return base;
      const result = await nsenter(node.leaderPid, ["sh", "-c", STATUS_SCRIPT], 5_000);
      const values = parseKeyValues(result.stdout);
      const text = (key: string) => values.get(key) || null;
      const count = text("soft_reboots");
      return {
        ...base,
        systemState: text("system"),
        bootId: text("boot_id"),
        softRebootsCount: count === null ? null : Number(count),
        imageVersion: text("image_version"),
        nextrootVersion: text("nextroot"),
        survivor: serviceStatus(values, DEMO_UNITS.survivor),
        ordinary: serviceStatus(values, DEMO_UNITS.ordinary),
      };
    }),
  );
}

function serviceStatus(values: Map<string, string>, unit: string): ServiceStatus | null {
  const activeState = values.get(`${unit}.ActiveState`);
  if (!activeState) return null;
  const mainPid = Number(values.get(`${unit}.MainPID`));
  return {
    activeState,
    subState: values.get(`${unit}.SubState`) ?? "",
    mainPid: mainPid > 0 ? mainPid : null,
    invocationId: values.get(`${unit}.InvocationID`) || null,
  };
}

function parseKeyValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return values;
}

/** A table for the terminal. */
export function formatStatus(nodes: NodeStatus[]): string {
  if (nodes.length === 0) return "no lab nodes (start some: npm run lab -- up --nodes 2)";
  const service = (s: ServiceStatus | null) => (s ? `${s.subState}${s.mainPid ? ` pid ${s.mainPid}` : ""}` : "-");
  const rows = [
    ["NODE", "STATE", "PID", "BOOT_ID", "SOFT-REBOOTS", "IMAGE", "NEXTROOT", "SURVIVOR", "ORDINARY"],
    ...nodes.map((n) => [
      n.name,
      // No answer from a running node: its systemd is between two cycles of a soft-reboot.
      n.running ? (n.systemState ?? "no-answer") : "stopped",
      n.leaderPid ? String(n.leaderPid) : "-",
      n.bootId ? n.bootId.slice(0, 8) : "-",
      n.softRebootsCount === null ? "-" : String(n.softRebootsCount),
      n.imageVersion ?? "-",
      n.nextrootVersion ?? "-",
      `${service(n.survivor)} :${n.ports.survivor}`,
      `${service(n.ordinary)} :${n.ports.ordinary}`,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
