import { request } from "node:http";
import { connect, type Socket } from "node:net";

/**
 * A client's view of a payload during soft-reboots: one probe every 10 ms
 * (never two in flight on one endpoint), each a success or a failure, on the
 * host's clock. The longest gap is the longest time between two successes:
 * what a client of the payload waited at worst. Targets are lab nodes only:
 * their addresses on the lab's own network (network.ts in @softfleet/lab).
 */
export interface ProbeLog {
  /** ms since the epoch of each probe that got an answer, in order. */
  ok: number[];
  failed: number;
}

export interface Probe {
  name: string;
  log: ProbeLog;
  stop(): void;
}

const INTERVAL_MS = 10;
const TIMEOUT_MS = 1000;

function loop(name: string, once: () => Promise<boolean>): Probe {
  const log: ProbeLog = { ok: [], failed: 0 };
  let stopped = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    once()
      .then(
        (ok) => (ok ? log.ok.push(Date.now()) : log.failed++),
        () => log.failed++,
      )
      .finally(() => {
        busy = false;
      });
  }, INTERVAL_MS);
  return {
    name,
    log,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** GET http://host:port/ on a new connection each time (as a new client would); settles once, by a deadline too. */
export function probeHttp(name: string, host: string, port: number): Probe {
  return loop(
    name,
    () =>
      new Promise<boolean>((resolve) => {
        let done = false;
        const finish = (ok: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(deadline);
          resolve(ok);
          req.destroy();
        };
        const deadline = setTimeout(() => finish(false), TIMEOUT_MS);
        const req = request({ host, port, path: "/", agent: false }, (res) => {
          res.resume();
          res.on("end", () => finish(res.statusCode === 200));
          res.on("close", () => finish(false));
        });
        req.on("error", () => finish(false));
        req.on("close", () => finish(false));
        req.end();
      }),
  );
}

/**
 * A line every 10 ms on ONE kept TCP connection (the fd-store demo's
 * protocol): it fails only if the connection is lost; a line sent while the
 * service restarts waits in the socket and is answered late, which is the gap.
 */
export async function probeKeptConnection(
  name: string,
  host: string,
  port: number,
): Promise<Probe & { closed: () => boolean }> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.once("error", reject);
  });
  let closed = false;
  let buffered = "";
  const waiting: Array<(ok: boolean) => void> = [];
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      buffered = buffered.slice(end + 1);
      waiting.shift()?.(true);
    }
  });
  socket.on("close", () => {
    closed = true;
    for (const resolve of waiting.splice(0)) resolve(false);
  });
  socket.on("error", () => {});
  const probe = loop(
    name,
    () =>
      new Promise<boolean>((resolve) => {
        if (closed) return resolve(false);
        waiting.push(resolve);
        socket.write("probe\n");
      }),
  );
  return {
    ...probe,
    closed: () => closed,
    stop() {
      probe.stop();
      socket.end();
    },
  };
}

/** The longest time between two answers within [from, to], and the failed probes. */
export function longestGapMs(log: ProbeLog, from: number, to: number): number {
  const inside = log.ok.filter((t) => t >= from && t <= to);
  const points = [from, ...inside, to];
  let longest = 0;
  for (let i = 1; i < points.length; i++) longest = Math.max(longest, points[i]! - points[i - 1]!);
  return longest;
}
