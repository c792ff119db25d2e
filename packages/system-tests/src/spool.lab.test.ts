import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { createPrismaClient } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { execIn, IN_NODE, labPki, managerProperties, waitUntilRunning } from "@softfleet/lab";
import { type AppProcess, type Stack, startControl, startStack, waitForHttp } from "@softfleet/launcher";
import { type LabFleet, labControl, labUnavailable, startLabFleet } from "@softfleet/launcher/lab";
import { afterAll, describe, expect, it } from "vitest";

const missing = await labUnavailable();
const required = process.env.SOFTFLEET_LAB_REQUIRED === "1" && process.env.SOFTFLEET_SKIP_LAB !== "1";

let stack: Stack | undefined;
let fleet: LabFleet | undefined;
let dataDir: string | undefined;
/** Control processes started by the test itself (the stack stops only its own). */
const restarted: AppProcess[] = [];
afterAll(async () => {
  await fleet?.stop();
  for (const control of restarted) await control.stop();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const busctlCount = async (name: string) => Number((await managerProperties(name, ["SoftRebootsCount"]))[0]);

describe.skipIf(missing !== null && !required)(
  `the agent's spool on a real node${missing ? ` (lab: ${missing})` : ""}`,
  () => {
    it("loses and duplicates nothing when the control plane is down during a soft-reboot", async () => {
      if (missing) throw new Error(`the lab is required here but cannot run: ${missing}`);
      dataDir = await makeScratchDir("softfleet-lab-spool-");
      const controlPort = await freePort();
      // The lab's agents talk to control over TLS (the CA the lab made), on the lab network's gateway.
      const forLab = await labControl();
      const tls = forLab.controlTls;
      stack = await startStack({
        ...forLab,
        root: repoRoot(),
        dataDir,
        pgPort: await freePort(),
        host: "127.0.0.1",
        webPort: await freePort(),
        controlPort,
        ephemeral: true,
      });
      const db = createPrismaClient(stack.database.url);
      try {
        fleet = await startLabFleet({
          databaseUrl: stack.database.url,
          controlUrl: stack.control.url,
          caFile: tls.caFile,
          nodes: 1,
          firstIndex: 21,
          label: "spool test",
        });
        const name = fleet.nodes[0]!.name;
        const node = await until("the node to enroll and come online", () =>
          db.node.findFirst({ where: { hostname: name, status: "online" } }),
        );
        const countBefore = await busctlCount(name);

        await stack.control.stop();
        await execIn(name, ["systemctl", "soft-reboot"]);
        await until("the node to soft-reboot", async () => (await busctlCount(name)) === countBefore + 1);
        await waitUntilRunning(name);
        // logind's signal waits in the spool under /run (carried over by the soft-reboot) while
        // nobody can take it; the reboot record is made once the agent is connected again.
        await until("the shutdown event in the spool", async () => {
          const listed = await execIn(name, ["ls", "/run/softfleet-agent/spool"]);
          return (
            listed.stdout
              .trim()
              .split("\n")
              .filter((f) => f.endsWith(".json")).length >= 1
          );
        });
        expect(await db.nodeEvent.count({ where: { nodeId: node.id } })).toBe(0);

        const common = {
          root: repoRoot(),
          databaseUrl: stack.database.url,
          host: "127.0.0.1",
          port: controlPort,
          tls,
          extraHosts: forLab.controlExtraHosts,
        };
        stack.control = startControl(common);
        await waitForHttp(stack.control, "/healthz");
        await until("the reboot record to arrive", () =>
          db.rebootRecord.findFirst({ where: { nodeId: node.id } }),
        ).catch(async (error: Error) => {
          const journal = await execIn(name, [
            "journalctl",
            "-u",
            "softfleet-agent",
            "-n",
            "40",
            "--no-pager",
            "-o",
            "cat",
          ]);
          throw new Error(`${error.message}; the agent's log:\n${journal.stdout}`);
        });
        await until(
          "the spool to empty",
          async () => (await execIn(name, ["ls", "/run/softfleet-agent/spool"])).stdout.trim() === "",
        );

        // A second restart of the control plane replays nothing twice.
        await stack.control.stop();
        stack.control = startControl(common);
        await waitForHttp(stack.control, "/healthz");
        await until("the node to reconnect", () => db.node.findFirst({ where: { id: node.id, status: "online" } }));

        const events = await db.nodeEvent.findMany({ where: { nodeId: node.id }, orderBy: { receivedAt: "asc" } });
        expect(events.map((e) => e.type).sort()).toEqual(["reboot-record", "shutdown-signal"]);
        expect(events.find((e) => e.type === "shutdown-signal")!.payload).toMatchObject({
          start: true,
          shutdownType: "soft-reboot",
        });
        const records = await db.rebootRecord.findMany({ where: { nodeId: node.id } });
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({
          kind: "soft-reboot",
          softRebootsCountAfter: countBefore + 1,
          beforeLost: false,
        });
        expect(records[0]!.signalUsec).not.toBeNull();
      } finally {
        await db.$disconnect();
      }
    }, 600_000);

    it("replaces a node's credential from the node itself: the old one is refused, the running agent carries on", async () => {
      if (!stack || !fleet) throw new Error("needs the node enrolled by the test above");
      const name = fleet.nodes[0]!.name;
      const tls = await labPki();
      const db = createPrismaClient(stack.database.url);
      const savedCredential = async () =>
        (
          JSON.parse((await execIn(name, ["cat", `${IN_NODE.agentState}/credential.json`])).stdout) as {
            credential: string;
          }
        ).credential;
      try {
        const node = await until("the node online", () =>
          db.node.findFirst({ where: { hostname: name, status: "online" } }),
        );
        const old = await savedCredential();

        const rotated = await execIn(name, ["node", "/usr/lib/softfleet/softfleet-agent.mjs", "--rotate-credential"]);
        expect(rotated, rotated.stderr).toMatchObject({ exitCode: 0 });
        expect(rotated.stdout).toMatch(/credential replaced; the old one is refused from now on/);
        const fresh = await savedCredential();
        expect(fresh).not.toBe(old);
        expect(await upgradeStatus(stack.control.url, old, tls.caFile)).toBe(401);

        // The running agent's connection (made with the old credential) was closed, and it came back with the new one.
        await until("the agent to reconnect with the new credential", async () => {
          const journal = await execIn(name, ["journalctl", "-u", "softfleet-agent", "-o", "cat", "--no-pager"]);
          const current = await db.node.findUnique({ where: { id: node.id } });
          return journal.stdout.includes("the node's credential was replaced") && current?.status === "online";
        });
        const rekey = await db.auditEntry.findFirst({ where: { action: "node.rekeyed", targetId: node.id } });
        expect(rekey?.details).toMatchObject({ path: "current-credential" });
      } finally {
        await db.$disconnect();
      }
    }, 120_000);
  },
);

/** The status a WebSocket upgrade to control's agent endpoint gets with this credential (101: accepted). */
function upgradeStatus(controlUrl: string, credential: string, caFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${controlUrl}/agent/v1`, {
      ca: readFileSync(caFile),
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
        authorization: `Bearer ${credential}`,
      },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on("error", reject);
    req.end();
  });
}
