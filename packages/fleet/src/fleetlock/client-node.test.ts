import { describe, expect, it } from "vitest";
import { matchClientNode, zincatiClientId } from "./client-node";

// `systemd-id128 machine-id --app-specific=de35106b6ec24688b63afddaa156679b` on a host whose
// /etc/machine-id is 3d1219c7c4c5404aaa1f6d2a48adfda4 printed this: Zincati sends the same id.
const MACHINE_ID = "3d1219c7c4c5404aaa1f6d2a48adfda4";
const ZINCATI_ID = "975228d46dc94622b9bbe16671e2b58d";

const nodes = [
  { id: "node-a", machineId: MACHINE_ID, hostname: "fcos-1" },
  { id: "node-b", machineId: "0123456789abcdef0123456789abcdef", hostname: "twin" },
  { id: "node-c", machineId: "fedcba9876543210fedcba9876543210", hostname: "twin" },
];

describe("which softfleet node a FleetLock client is", () => {
  it("computes Zincati's id as systemd does (the machine id made app-specific)", () => {
    expect(zincatiClientId(MACHINE_ID)).toBe(ZINCATI_ID);
    expect(zincatiClientId(MACHINE_ID.toUpperCase())).toBe(ZINCATI_ID);
    expect(zincatiClientId("not-a-machine-id")).toBeNull();
  });

  it("matches by Zincati's id, machine id (with or without dashes), softfleet id, or a hostname only one node has", () => {
    expect(matchClientNode(ZINCATI_ID, nodes)?.id).toBe("node-a");
    expect(matchClientNode("3d1219c7-c4c5-404a-aa1f-6d2a48adfda4", nodes)?.id).toBe("node-a");
    expect(matchClientNode("node-b", nodes)?.id).toBe("node-b");
    expect(matchClientNode("fcos-1", nodes)?.id).toBe("node-a");
  });

  it("matches nothing for an unknown id or a hostname two nodes share: such a client holds its slot by its id alone", () => {
    expect(matchClientNode("c988d2509fdf4cdcbed39037c56406fb", nodes)).toBeNull();
    expect(matchClientNode("twin", nodes)).toBeNull();
  });
});
