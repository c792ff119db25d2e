import { createHmac } from "node:crypto";

/** Zincati's application id: its client id is the machine id made app-specific with it (systemd's sd_id128_get_machine_app_specific). */
const ZINCATI_APP_ID = Buffer.from("de35106b6ec24688b63afddaa156679b", "hex");

const MACHINE_ID = /^[0-9a-f]{32}$/;

/**
 * The id Zincati sends for a machine: HMAC-SHA256 keyed with the machine id
 * over the app id, its first 16 bytes made a v4 UUID, in lower hex. Lets a
 * FleetLock client be matched to the softfleet node on the same host.
 */
export function zincatiClientId(machineId: string): string | null {
  const id = machineId.trim().toLowerCase();
  if (!MACHINE_ID.test(id)) return null;
  const bytes = createHmac("sha256", Buffer.from(id, "hex")).update(ZINCATI_APP_ID).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes.toString("hex");
}

export interface CandidateNode {
  id: string;
  machineId: string;
  hostname: string;
}

/**
 * The node a client id names, if any: its softfleet id, its machine id, its
 * Zincati id, or (last, as names repeat) its hostname when only one node has it.
 */
export function matchClientNode(clientId: string, nodes: CandidateNode[]): CandidateNode | null {
  const lower = clientId.toLowerCase().replaceAll("-", "");
  const exact = nodes.find(
    (n) =>
      n.id === clientId || n.machineId === lower || (MACHINE_ID.test(lower) && zincatiClientId(n.machineId) === lower),
  );
  if (exact) return exact;
  const named = nodes.filter((n) => n.hostname === clientId);
  return named.length === 1 ? named[0]! : null;
}
