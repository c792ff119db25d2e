import { cpus, loadavg } from "node:os";
import { createPrismaClient } from "@softfleet/db";
import { createEnrollmentToken } from "@softfleet/fleet";
import { AGENT_WS_PATH, ENROLL_PATH, PROTOCOL_VERSION } from "@softfleet/protocol";
import WebSocket from "ws";
import { startScratchStack } from "./scratch-stack";
import { percentile } from "./stats";

/**
 * `npm run bench -- flood`: one node floods the gateway with 5,000 frames a
 * second (reconnecting whenever it is cut off) while 50 others soft-reboot
 * over and over: each announces its shutdown and waits for the ack (logind's
 * delay lock is held meanwhile), drops its connection, comes back and says
 * hello. The figure is those acks' latency; the same run without the flood
 * is the baseline. Traffic goes to loopback only, and the run is bounded.
 */
const REBOOTERS = 50;
const CYCLES = 6;
const FLOOD_FRAMES_PER_SEC = 5_000;

type Client = { ws: WebSocket; next: (kind: string, timeoutMs?: number) => Promise<Record<string, unknown>> };

function open(url: string, credential: string): Promise<Client> {
  const ws = new WebSocket(`${url.replace("http", "ws")}${AGENT_WS_PATH}`, {
    headers: { authorization: `Bearer ${credential}` },
  });
  const waiting: Array<{ kind: string; resolve: (frame: Record<string, unknown>) => void }> = [];
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    const index = waiting.findIndex((w) => w.kind === frame.kind);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(frame);
  });
  ws.on("error", () => {});
  const next = (kind: string, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${kind} within ${timeoutMs} ms`)), timeoutMs);
      waiting.push({
        kind,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, next }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

const machineIdOf = (n: number) => (0xf1000 + n).toString(16).padStart(32, "0");
const bootId = "0b5c1e2a-1111-4222-8333-944455556666";

function hello(machineId: string, n: number) {
  return JSON.stringify({
    kind: "hello",
    v: PROTOCOL_VERSION,
    identity: {
      machineId,
      hostname: `flood-${n}`,
      bootId,
      osRelease: { id: "debian", versionId: "13", imageId: "bench", imageVersion: "1" },
      systemdVersion: 257,
      agentVersion: "bench",
      labels: {},
      simulated: true,
    },
    state: {
      softRebootsCount: 0,
      nextroot: { staged: false, imageVersion: null },
      units: [],
      monotonicUsec: "1",
      inhibitor: "held",
    },
  });
}

async function greeted(url: string, node: { credential: string; machineId: string; n: number }) {
  const client = await open(url, node.credential);
  const welcome = client.next("welcome");
  client.ws.send(hello(node.machineId, node.n));
  await welcome;
  return client;
}

/** One node's soft-reboot cycles: the shutdown signal's ack latency each time. */
async function rebootCycles(url: string, node: { credential: string; machineId: string; n: number }) {
  const latencies: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const client = await greeted(url, node);
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
    const id = `bench-${node.n}-${cycle}-${Date.now().toString(36)}`;
    const ack = client.next("ack");
    const sent = performance.now();
    client.ws.send(
      JSON.stringify({
        kind: "event",
        v: PROTOCOL_VERSION,
        id,
        event: {
          type: "shutdown-signal",
          start: true,
          shutdownType: "soft-reboot",
          monotonicUsec: String(1_000_000 + cycle),
          wallclock: new Date().toISOString(),
          bootId,
          softRebootsCount: cycle,
        },
      }),
    );
    await ack;
    latencies.push(performance.now() - sent);
    // Userspace goes down with the agent; it comes back a moment later.
    client.ws.close();
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 300));
  }
  return latencies;
}

/** The flooder: 5,000 heartbeats a second, reconnecting at once whenever it is cut off. */
function flood(url: string, node: { credential: string; machineId: string; n: number }) {
  let stopped = false;
  let sent = 0;
  let current: WebSocket | null = null;
  let refused = 0;
  const closes: number[] = [];
  const frame = JSON.stringify({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: "1" });
  const run = async () => {
    while (!stopped) {
      const client = await greeted(url, node).catch((error: Error) => {
        refused += 1;
        if (refused <= 3) console.error(`[bench] flood: the flooder's reconnect failed: ${error.message}`);
        return null;
      });
      if (!client) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      current = client.ws;
      const timer = setInterval(() => {
        if (client.ws.readyState !== WebSocket.OPEN) return;
        for (let i = 0; i < FLOOD_FRAMES_PER_SEC / 100; i++) client.ws.send(frame);
        sent += FLOOD_FRAMES_PER_SEC / 100;
      }, 10);
      await new Promise<void>((resolve) =>
        client.ws.once("close", (code) => {
          if (!stopped) closes.push(code);
          resolve();
        }),
      );
      clearInterval(timer);
    }
  };
  const done = run();
  return {
    async stop() {
      stopped = true;
      current?.terminate();
      await done;
      return { framesSent: sent, cutOff: closes.length, reconnectsRefused: refused, closeCodes: [...new Set(closes)] };
    },
  };
}

function summary(values: number[]) {
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    samples: values.length,
    p50Ms: round(percentile(values, 50)),
    p95Ms: round(percentile(values, 95)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(Math.max(...values)),
  };
}

export async function benchFlood() {
  const { stack, stop } = await startScratchStack("softfleet-bench-flood-");
  const db = createPrismaClient(stack.database.url);
  try {
    const { token } = await db.$transaction((tx) =>
      createEnrollmentToken(tx, { label: "flood bench", ttlHours: 1, maxUses: null, createdById: null }),
    );
    console.error(`[bench] flood: enrolling ${REBOOTERS + 1} nodes`);
    const nodes = [];
    for (let n = 0; n <= REBOOTERS; n++) {
      const machineId = machineIdOf(n);
      const response = await fetch(`${stack.control.url}${ENROLL_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token, machineId, hostname: `flood-${n}` }),
      });
      if (response.status !== 201) throw new Error(`enrolling node ${n}: ${response.status} ${await response.text()}`);
      const { credential } = (await response.json()) as { credential: string };
      nodes.push({ credential, machineId, n });
    }
    const [flooder, ...rebooters] = nodes;
    const round = async () =>
      (await Promise.all(rebooters.map((node) => rebootCycles(stack.control.url, node)))).flat();

    console.error("[bench] flood: warming up (one round, not measured)");
    await round();
    console.error(`[bench] flood: baseline, ${REBOOTERS} nodes x ${CYCLES} soft-reboots without a flood`);
    const baseline = await round();
    console.error(`[bench] flood: the same while node 0 sends ${FLOOD_FRAMES_PER_SEC} frames/s`);
    const load = loadavg()[0]!;
    const flooding = flood(stack.control.url, flooder!);
    const started = performance.now();
    const underFlood = await round();
    const seconds = (performance.now() - started) / 1000;
    const flooded = await flooding.stop();
    const result = {
      name: "gateway flood: shutdown-signal ack latency of 50 soft-rebooting nodes while one node floods",
      cores: cpus().length,
      goal: "p99 <= 50 ms under the flood",
      baseline: summary(baseline),
      underFlood: summary(underFlood),
      flooder: { ...flooded, seconds: Math.round(seconds), framesPerSec: Math.round(flooded.framesSent / seconds) },
      loadAverage: { before: load, after: loadavg()[0] },
      met: percentile(underFlood, 99) <= 50,
    };
    console.error(
      `[bench] flood: p99 ${result.underFlood.p99Ms} ms under flood (baseline ${result.baseline.p99Ms} ms), ${result.underFlood.samples} samples; flooder cut off ${flooded.cutOff} times`,
    );
    return result;
  } finally {
    await db.$disconnect();
    await stop();
  }
}
