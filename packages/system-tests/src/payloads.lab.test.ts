import { connect, type Socket } from "node:net";
import { DEMO_UNITS, execIn, managerProperties, stage } from "@softfleet/lab";
import { type LabFleet, labUnavailable } from "@softfleet/launcher/lab";
import type {
  ContainerContinuity,
  ContainerState,
  LinkContinuity,
  NetworkLink,
  PinnedRoot,
  PortableImage,
} from "@softfleet/protocol";
import { type TestDatabase, until } from "@softfleet/testkit";
import { type LabTestbed, startLabTestbed } from "@softfleet/testkit/lab";
import { probeHttp } from "@softfleet/testkit/prober";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * A node's payloads through real soft-reboots: what they keep (the fd store),
 * what they pin (the old root), and why a soft-reboot was slow (the unit
 * blame). One control process and one lab node serve the scenarios in order.
 */
const missing = await labUnavailable();
const required = process.env.SOFTFLEET_LAB_REQUIRED === "1" && process.env.SOFTFLEET_SKIP_LAB !== "1";

let testbed: LabTestbed | undefined;
let t: TestDatabase | undefined;
let fleet: LabFleet | undefined;

const softRebootsCount = async (name: string) => Number((await managerProperties(name, ["SoftRebootsCount"]))[0]);

/** Soft-reboots the node (`systemctl soft-reboot`, or `command`) and returns the reboot record its agent sent afterwards. */
async function softReboot(name: string, command: string[] = ["systemctl", "soft-reboot"]) {
  const db = t!.db;
  const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
  const countBefore = await softRebootsCount(name);
  const recordsBefore = await db.rebootRecord.count({ where: { nodeId: node.id } });
  const result = await execIn(name, command);
  expect(result, result.stderr).toMatchObject({ exitCode: 0 });
  await until("the node to soft-reboot", async () => (await softRebootsCount(name)) === countBefore + 1);
  return until("the new reboot record", async () =>
    (await db.rebootRecord.count({ where: { nodeId: node.id } })) > recordsBefore
      ? db.rebootRecord.findFirst({ where: { nodeId: node.id }, orderBy: { recordedAt: "desc" } })
      : null,
  );
}

/** A line-protocol TCP client that remembers every answer and whether its connection ever closed. */
class LineClient {
  readonly answers: Array<Record<string, unknown>> = [];
  closed = false;
  private buffered = "";
  private constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffered += chunk;
      for (let end = this.buffered.indexOf("\n"); end >= 0; end = this.buffered.indexOf("\n")) {
        this.answers.push(JSON.parse(this.buffered.slice(0, end)) as Record<string, unknown>);
        this.buffered = this.buffered.slice(end + 1);
      }
    });
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {});
  }

  static open(host: string, port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new LineClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends a line and waits for its answer. */
  async ask(line: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const count = this.answers.length;
    this.socket.write(`${line}\n`);
    await until(`an answer to "${line}"`, async () => this.answers.length > count, timeoutMs);
    return this.answers[count]!;
  }
}

describe.skipIf(missing !== null && !required)(
  `payloads on a real node through soft-reboots${missing ? ` (lab: ${missing})` : ""}`,
  () => {
    beforeAll(async () => {
      if (missing) throw new Error(`the lab is required here but cannot run: ${missing}`);
      testbed = await startLabTestbed({ nodes: 1, firstIndex: 31, label: "payloads lab test" });
      ({ t, fleet } = testbed);
      const name = fleet.nodes[0]!.name;
      await until("the node online", () => t!.db.node.findFirst({ where: { hostname: name, status: "online" } }));
    }, 300_000);

    afterAll(async () => {
      await testbed?.stop();
    }, 120_000);

    it("keeps the fd-store service's listening socket, client connection and memfd through a soft-reboot", async () => {
      const { name, ports, address } = fleet!.nodes[0]!;
      const client = await until("the fd-store service to answer", () => LineClient.open(address, ports.fdstore!));
      const first = await client.ask("before");
      // Its store now holds the listening socket, the memfd and this connection; the agent shows it live.
      await until("the agent to report the fd store", async () => {
        const node = await t!.db.node.findFirstOrThrow({ where: { hostname: name } });
        const units = node.units as Array<{ name: string; fdStore?: { count: number } }>;
        return units.find((u) => u.name === DEMO_UNITS.fdstore)?.fdStore?.count === 3;
      });

      const record = await softReboot(name);
      const after = await client.ask("after");
      // A new process answers on the same TCP connection, with all three handed back by systemd.
      expect(after.pid).not.toBe(first.pid);
      expect(after.invocationId).not.toBe(first.invocationId);
      expect(after.connection).toBe(first.connection);
      expect(after.restored).toEqual(expect.arrayContaining(["listen", "buffer", first.connection]));
      // The memfd kept its contents: the count of starts went on from the first process's.
      expect(after.starts).toBe((first.starts as number) + 1);
      expect(after.createdBy).toBe(first.createdBy);
      expect(client.closed).toBe(false);
      client.socket.end();

      const units = record!.units as Array<{ name: string; outcome: string; fdStore?: unknown }>;
      expect(units.find((u) => u.name === DEMO_UNITS.fdstore)).toMatchObject({
        outcome: "restarted",
        fdStore: { max: 16, preserve: "yes", before: 3, after: 3 },
      });
    }, 180_000);

    it("measures what each payload's clients saw: the survivor missed no probe, the ordinary service was away", async () => {
      const name = fleet!.nodes[0]!.name;
      const record = await softReboot(name);
      const gaps = record!.clientGaps as Array<{
        name: string;
        longestGapMs: number;
        failedProbes: number;
        open: boolean;
      }>;
      const gap = (payload: string) => gaps.find((g) => g.name === payload);
      // Probed every 10 ms from the node by the prober, itself a survivor.
      expect(gap("survivor"), JSON.stringify(gaps)).toMatchObject({ failedProbes: 0, open: false });
      // The fd-store service's listening socket stayed open in systemd's store: connections were never refused.
      expect(gap("fdstore")).toMatchObject({ failedProbes: 0, open: false });
      const ordinary = gap("ordinary")!;
      expect(ordinary.failedProbes).toBeGreaterThan(0);
      // Its clients waited at least as long as systemd had it stopped (from its own timestamps).
      const units = record!.units as Array<{ name: string; inactiveEnterUsec: string; activeEnterUsec: string }>;
      const unit = units.find((u) => u.name === DEMO_UNITS.ordinary)!;
      const stoppedMs = Number(BigInt(unit.activeEnterUsec) - BigInt(unit.inactiveEnterUsec)) / 1000;
      expect(ordinary.longestGapMs).toBeGreaterThanOrEqual(stoppedMs);
    }, 120_000);

    it("keeps the node's networkd link and its address through a soft-reboot: the host reached a survivor all along", async () => {
      const { name, ports, address } = fleet!.nodes[0]!;
      const db = t!.db;
      // The agent shows the link live, from networkd, with its .network file's KeepConfiguration=.
      const live = await until("the agent to report the node's link", async () => {
        const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
        return (node.network as NetworkLink[] | null)?.find((l) => l.name === "host0");
      });
      expect(live).toMatchObject({
        keepConfiguration: "static",
        addresses: [`${address}/16`],
        operState: "routable",
        networkFile: "/etc/systemd/network/10-softfleet-lab.network",
      });
      // From the host, over the node's veth, every 10 ms through the soft-reboot.
      const probe = probeHttp("survivor over the lab network", address, ports.survivor);
      let record: Awaited<ReturnType<typeof softReboot>>;
      try {
        record = await softReboot(name);
      } finally {
        probe.stop();
      }
      expect(probe.log.ok.length).toBeGreaterThan(50);
      expect(probe.log.failed).toBe(0);
      const links = record!.network as LinkContinuity[];
      const host0 = links.find((l) => l.name === "host0");
      expect(host0, JSON.stringify(links)).toMatchObject({ outcome: "kept" });
      expect(host0!.before!.addresses).toEqual([`${address}/16`]);
      expect(host0!.after!.addresses).toEqual([`${address}/16`]);
      expect(host0!.after!.carrierDownCount).toBe(host0!.before!.carrierDownCount);
    }, 120_000);

    it("keeps the Podman container and the portable service running through a soft-reboot into a new image", async () => {
      const name = fleet!.nodes[0]!.name;
      const db = t!.db;
      const inspect = async () => {
        const out = await execIn(name, [
          "podman",
          "inspect",
          "softfleet-demo-web",
          "--format",
          "{{.State.Pid}} {{.State.StartedAt}}",
        ]);
        expect(out, out.stderr).toMatchObject({ exitCode: 0 });
        return out.stdout.trim();
      };
      // The agent lists it live from Podman's API.
      const live = await until("the agent to report the container", async () => {
        const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
        return (node.containers as ContainerState[] | null)?.find((c) => c.name === "softfleet-demo-web");
      });
      expect(live).toMatchObject({
        image: "localhost/softfleet-demo-web:1",
        state: "running",
        unit: DEMO_UNITS.container,
      });
      // The portable service: its image as portabled lists it, and its unit runs from that image's root.
      const node = await until("the agent to report the portable image and the survivors' roots", async () => {
        const row = await db.node.findFirstOrThrow({ where: { hostname: name } });
        const units = row.units as Array<{ name: string; ownRoot?: string }>;
        const portable = units.find((u) => u.name === DEMO_UNITS.portable);
        return portable?.ownRoot && (row.portables as PortableImage[] | null)?.length ? row : null;
      });
      const image = (node.portables as PortableImage[])[0]!;
      expect(image).toMatchObject({ type: "directory", state: expect.stringMatching(/^running/) });
      const units = node.units as Array<{ name: string; ownRoot?: string }>;
      expect(units.find((u) => u.name === DEMO_UNITS.portable)?.ownRoot).toBe(
        `/run/host/softfleet-images/${image.name}`,
      );
      expect(units.find((u) => u.name === DEMO_UNITS.survivor)?.ownRoot).toBe("/run/host/softfleet-images/base");
      const portablePid = (
        await execIn(name, ["systemctl", "show", "-P", "MainPID", DEMO_UNITS.portable])
      ).stdout.trim();
      const before = await inspect();
      await stage({ version: "3", nodes: [name] });
      const record = await softReboot(name);
      expect(await inspect()).toBe(before);
      expect((await execIn(name, ["sh", "-c", ". /etc/os-release && echo $IMAGE_VERSION"])).stdout.trim()).toBe("3");

      const containers = record!.containers as ContainerContinuity[];
      const web = containers.find((c) => c.after?.name === "softfleet-demo-web");
      expect(web, JSON.stringify(containers)).toMatchObject({ outcome: "kept-running" });
      expect(web!.after!.pid).toBe(live!.pid);
      expect(web!.after!.startedAt).toBe(live!.startedAt);
      // Its unit ran straight through too, and so did the portable service; neither missed a probe.
      const after = record!.units as Array<{ name: string; outcome: string }>;
      expect(after.find((u) => u.name === DEMO_UNITS.container)?.outcome).toBe("survived");
      expect(after.find((u) => u.name === DEMO_UNITS.portable)?.outcome).toBe("survived");
      expect((await execIn(name, ["systemctl", "show", "-P", "MainPID", DEMO_UNITS.portable])).stdout.trim()).toBe(
        portablePid,
      );
      const gaps = record!.clientGaps as Array<{ name: string; failedProbes: number }>;
      expect(gaps.find((g) => g.name === "container")).toMatchObject({ failedProbes: 0 });
      expect(gaps.find((g) => g.name === "portable")).toMatchObject({ failedProbes: 0 });
      // Its storage and its conmon live outside the node's root: it holds nothing of the old one.
      const pinned = record!.pinnedRoot as PinnedRoot;
      expect(pinned.processes.filter((p) => p.unit === DEMO_UNITS.container)).toEqual([]);
      expect(pinned.processes.filter((p) => p.unit === DEMO_UNITS.portable)).toEqual([]);
    }, 180_000);

    it("names the survivor that holds the old root after a soft-reboot into a new image, with its process and size", async () => {
      const name = fleet!.nodes[0]!.name;
      const db = t!.db;
      try {
        const enabled = await execIn(name, ["systemctl", "enable", "--now", DEMO_UNITS.badSurvivor]);
        expect(enabled, enabled.stderr).toMatchObject({ exitCode: 0 });
        const badPid = Number(
          (await execIn(name, ["systemctl", "show", "-P", "MainPID", DEMO_UNITS.badSurvivor])).stdout,
        );
        // The agent finds a survivor started after it within seconds (payloadDiscoverySec).
        await until("the agent to watch the bad survivor", async () => {
          const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
          const units = node.units as Array<{ name: string; survives?: boolean }>;
          return units.some((u) => u.name === DEMO_UNITS.badSurvivor && u.survives);
        });
        const oldRoot = (await execIn(name, ["stat", "-c", "%Hd:%Ld", "/"])).stdout.trim();
        await stage({ version: "2", nodes: [name] });
        const record = await softReboot(name);
        const newRoot = (await execIn(name, ["stat", "-c", "%Hd:%Ld", "/"])).stdout.trim();
        expect(newRoot).not.toBe(oldRoot);

        const pinned = record!.pinnedRoot as PinnedRoot;
        expect(pinned.devices).toEqual([oldRoot]);
        // The bad survivor runs node from the old root: its executable and its mapped libraries hold it.
        const holder = pinned.processes.find((p) => p.unit === DEMO_UNITS.badSurvivor);
        expect(holder, JSON.stringify(pinned.processes)).toMatchObject({ pid: badPid, comm: "node" });
        expect(holder!.refs).toEqual(expect.arrayContaining(["exe", "mapped"]));
        expect(holder!.files).toContain("/usr/bin/node");
        expect(holder!.pssKb).toBeGreaterThan(1024);
        expect(pinned.pssKb).toBeGreaterThanOrEqual(holder!.pssKb);
        // The good survivor runs from its own root and ran straight through, holding nothing.
        expect(pinned.processes.some((p) => p.unit === DEMO_UNITS.survivor)).toBe(false);
        const units = record!.units as Array<{ name: string; outcome: string }>;
        expect(units.find((u) => u.name === DEMO_UNITS.survivor)?.outcome).toBe("survived");
        expect(units.find((u) => u.name === DEMO_UNITS.badSurvivor)?.outcome).toBe("survived");

        // The node shows it live, and the warning ends once the bad survivor is gone.
        await until("the node's state to show the pinned root", async () => {
          const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
          return (node.pinnedRoot as PinnedRoot | null)?.processes.some((p) => p.pid === badPid);
        });
        await execIn(name, ["systemctl", "disable", "--now", DEMO_UNITS.badSurvivor]);
        await until("the pinned-root warning to end", async () => {
          const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
          return node.pinnedRoot === null;
        });
      } finally {
        await execIn(name, ["systemctl", "disable", "--now", DEMO_UNITS.badSurvivor]).catch(() => {});
      }
    }, 180_000);

    it("shows a survivor whose D-Bus connection broke in the soft-reboot as survival failed: restarted", async () => {
      const name = fleet!.nodes[0]!.name;
      const db = t!.db;
      const unit = DEMO_UNITS.busSurvivor;
      try {
        const enabled = await execIn(name, ["systemctl", "enable", "--now", unit]);
        expect(enabled, enabled.stderr).toMatchObject({ exitCode: 0 });
        await until("the agent to watch the bus survivor", async () => {
          const row = await db.node.findFirstOrThrow({ where: { hostname: name } });
          const units = row.units as Array<{ name: string; survives?: boolean; activeState: string }>;
          return units.some((u) => u.name === unit && u.survives && u.activeState === "active");
        });
        const pidBefore = (await execIn(name, ["systemctl", "show", "-P", "MainPID", unit])).stdout.trim();
        const record = await softReboot(name);
        const units = record!.units as Array<{
          name: string;
          outcome: string;
          survives?: boolean;
          mainPidBefore?: number;
          mainPidAfter?: number;
        }>;
        const entry = units.find((u) => u.name === unit);
        // Configured to survive, and it was not stopped on the way down: its bus connection broke, busctl
        // exited and systemd started it again, a new process in a new invocation.
        expect(entry, JSON.stringify(units.map((u) => [u.name, u.outcome]))).toMatchObject({
          survives: true,
          outcome: "restarted",
        });
        expect(String(entry!.mainPidBefore)).toBe(pidBefore);
        expect(entry!.mainPidAfter).not.toBe(entry!.mainPidBefore);
        // The good survivor, in the same soft-reboot, kept running.
        expect(units.find((u) => u.name === DEMO_UNITS.survivor)?.outcome).toBe("survived");
      } finally {
        await execIn(name, ["systemctl", "disable", "--now", unit]);
      }
    }, 120_000);

    it("names the unit slowest to stop in the soft-reboot's record, from its own timestamps", async () => {
      const name = fleet!.nodes[0]!.name;
      try {
        const enabled = await execIn(name, ["systemctl", "enable", "--now", "softfleet-demo-slow-stop.service"]);
        expect(enabled, enabled.stderr).toMatchObject({ exitCode: 0 });
        const record = await softReboot(name);
        const blame = record!.blame as { stopped: number; started: number; stop: { name: string; ms: number }[] };
        expect(blame.stop[0]).toMatchObject({ name: "softfleet-demo-slow-stop.service" });
        expect(blame.stop[0]!.ms).toBeGreaterThanOrEqual(8000);
        expect(blame.stop[0]!.ms).toBeLessThan(15_000);
        // systemd's own timestamps of that unit say the same.
        const timestamp = async (property: string) =>
          BigInt(
            (
              await execIn(name, ["systemctl", "show", "-P", property, "softfleet-demo-slow-stop.service"])
            ).stdout.trim(),
          );
        const exit = await timestamp("ActiveExitTimestampMonotonic");
        const inactive = await timestamp("InactiveEnterTimestampMonotonic");
        expect(blame.stop[0]!.ms).toBe(Number(inactive - exit) / 1000);
        expect(blame.stopped).toBeGreaterThan(5);
        expect(blame.started).toBeGreaterThan(5);
      } finally {
        await execIn(name, ["systemctl", "disable", "--now", "softfleet-demo-slow-stop.service"]).catch(() => {});
      }
    }, 120_000);
    it("records `systemctl reboot` with a new root staged as requested reboot, announced and happened soft-reboot", async () => {
      const name = fleet!.nodes[0]!.name;
      await stage({ version: "7", nodes: [name] });
      await until("the staged root in the node's state", () =>
        t!.db.node.findFirst({ where: { hostname: name, nextrootImageVersion: "7" } }),
      );
      const record = await softReboot(name, ["systemctl", "reboot"]);
      expect(record).toMatchObject({
        kind: "soft-reboot",
        requested: "reboot",
        announced: "soft-reboot",
        escalated: false,
        imageVersionAfter: "7",
      });
    }, 120_000);
  },
);
