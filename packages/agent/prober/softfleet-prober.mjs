// softfleet's client-visible downtime prober: a surviving unit (it runs
// straight through soft-reboots, from its own root) that probes each target
// every 10 ms (SOFTFLEET_PROBE_INTERVAL_MS), as a client would, and keeps the gaps it saw in /run, where the
// agent reads them once it is back. A gap is the time between two successful
// probes when it is longer than 3 intervals, on CLOCK_MONOTONIC (the clock
// systemd's timestamps use, continuous across a soft-reboot).
// Usage: node softfleet-prober.mjs OUTPUT.json NAME=http://127.0.0.1:PORT/ NAME=tcp://127.0.0.1:PORT ...
import { renameSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";

// SOFTFLEET_PROBE_INTERVAL_MS: 5 to 1000, default 10 (a gap is then anything over 30 ms).
const INTERVAL_MS = Math.min(1000, Math.max(5, Number(process.env.SOFTFLEET_PROBE_INTERVAL_MS) || 10));
const TIMEOUT_MS = 1000;
const KEEP_GAPS = 64;
const [output, ...specs] = process.argv.slice(2);
if (!output || specs.length === 0) {
  console.error("usage: softfleet-prober.mjs OUTPUT.json NAME=http://HOST:PORT/|NAME=tcp://HOST:PORT ...");
  process.exit(2);
}
const now = () => process.hrtime.bigint() / 1000n;

const targets = specs.map((spec) => {
  const at = spec.indexOf("=");
  const name = spec.slice(0, at);
  const url = new URL(spec.slice(at + 1));
  if (at <= 0 || !["http:", "tcp:"].includes(url.protocol)) {
    console.error(`softfleet-prober: "${spec}" is not NAME=http://HOST:PORT/ or NAME=tcp://HOST:PORT`);
    process.exit(2);
  }
  return { name, target: url.href, url, probes: 0, failed: 0, lastOkUsec: null, failing: 0, gaps: [], busy: false };
});

/** One probe: true when the target answered within TIMEOUT_MS. Settles once, whatever happens. */
function probeOnce(t) {
  return new Promise((resolve) => {
    let done = false;
    let handle = null;
    const finish = (ok) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve(ok);
      handle?.destroy();
    };
    const deadline = setTimeout(() => finish(false), TIMEOUT_MS);
    if (t.url.protocol === "tcp:") {
      handle = connect(Number(t.url.port), t.url.hostname, () => finish(true));
      handle.on("error", () => finish(false));
      handle.on("close", () => finish(false));
      return;
    }
    handle = request(t.url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => finish(res.statusCode !== undefined && res.statusCode < 500));
      res.on("close", () => finish(false));
      res.on("error", () => finish(false));
    });
    handle.on("error", () => finish(false));
    handle.on("close", () => finish(false));
    handle.end();
  });
}

let dirty = true;
function record(t, ok) {
  t.probes += 1;
  const at = now();
  if (!ok) {
    t.failed += 1;
    t.failing += 1;
    dirty = true;
    return;
  }
  if (t.lastOkUsec !== null && at - t.lastOkUsec > BigInt(3 * INTERVAL_MS * 1000)) {
    t.gaps.push({ fromUsec: t.lastOkUsec.toString(), toUsec: at.toString(), failed: t.failing });
    if (t.gaps.length > KEEP_GAPS) t.gaps.shift();
    dirty = true;
  }
  t.lastOkUsec = at;
  t.failing = 0;
}

function save() {
  if (!dirty) return;
  dirty = false;
  const state = {
    version: 1,
    intervalMs: INTERVAL_MS,
    writtenUsec: now().toString(),
    targets: targets.map((t) => ({
      name: t.name,
      target: t.target,
      probes: t.probes,
      failed: t.failed,
      lastOkUsec: t.lastOkUsec?.toString() ?? null,
      failing: t.failing,
      gaps: t.gaps,
    })),
  };
  const partial = `${output}.partial`;
  writeFileSync(partial, JSON.stringify(state));
  renameSync(partial, output);
}

setInterval(() => {
  for (const t of targets) {
    if (t.busy) continue;
    t.busy = true;
    probeOnce(t)
      .then((ok) => record(t, ok))
      .finally(() => {
        t.busy = false;
      });
  }
}, INTERVAL_MS);
// Counters at least once a second; a gap as soon as it closes (record sets dirty).
setInterval(() => {
  dirty = true;
}, 1000);
setInterval(save, 50);
console.log(
  `softfleet-prober: probing ${targets.map((t) => `${t.name} ${t.target}`).join(", ")} every ${INTERVAL_MS} ms`,
);
process.on("SIGTERM", () => {
  save();
  process.exit(0);
});
