// softfleet-sim (npm run sim -w @softfleet/simagent -- ...): simulated nodes against a control plane, until Ctrl-C.
import { parseArgs } from "node:util";
import { SimulationError } from "./errors";
import { type FleetProgress, startSimulatedFleet } from "./fleet";

const USAGE = `usage: softfleet-sim --control-url URL --token TOKEN [options]

  --control-url URL     the control plane (enrollment and agent WebSocket)
  --token TOKEN         an enrollment token
  --count N             how many simulated nodes (default 10)
  --seed S              fixes machine ids, timings and faults (default 1)
  --time-scale F        multiplies simulated durations, e.g. 0.1 (default 1)
  --name-prefix P       hostnames P-0001... (default sim)
  --first-index N       the first node's number (default 1)
  --image-version V     the image the nodes start on (default 1)
  --spool-root DIR      keep credentials and spools here (reused by the next run)
  --stage V             once connected, stage IMAGE_VERSION=V at every node's /run/nextroot
  --fault-rate K=P,...  e.g. slow=0.02,escalate=0.01,neverReturns=0.01,refuse=0.01,wrongImage=0.01,pinsOldRoot=0.05`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      "control-url": { type: "string" },
      token: { type: "string" },
      count: { type: "string", default: "10" },
      seed: { type: "string", default: "1" },
      "time-scale": { type: "string", default: "1" },
      "name-prefix": { type: "string" },
      "first-index": { type: "string" },
      "image-version": { type: "string" },
      "spool-root": { type: "string" },
      "fault-rate": { type: "string" },
      stage: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return null;
  const bad = (message: string) => new SimulationError("bad-input", `${message}\n\n${USAGE}`);
  if (!values["control-url"] || !values.token) throw bad("--control-url and --token are required");
  const number = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value)) throw bad(`--${name} must be a number, not ${text}`);
    return value;
  };
  const faultRate = values["fault-rate"]
    ? Object.fromEntries(
        values["fault-rate"].split(",").map((pair) => {
          const [key, value] = pair.split("=");
          return [key!, number("fault-rate", value ?? "")];
        }),
      )
    : undefined;
  return {
    controlUrl: values["control-url"],
    enrollmentToken: values.token,
    count: number("count", values.count),
    seed: /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed,
    timeScale: number("time-scale", values["time-scale"]),
    namePrefix: values["name-prefix"],
    firstIndex: values["first-index"] === undefined ? undefined : number("first-index", values["first-index"]),
    imageVersion: values["image-version"],
    spoolRoot: values["spool-root"],
    faultRate,
    stage: values.stage,
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  const say = (message: string) =>
    console.error(`[sim] (${((performance.now() - started) / 1000).toFixed(1)}s) ${message}`);
  // At most a line a second, but always the lines that end a step (all enrolled, all connected).
  let last = "";
  let lastAt = 0;
  const report = ({ enrolled, connected, count }: FleetProgress) => {
    const line = `enrolled ${enrolled}/${count}, connected ${connected}/${count}`;
    const stepDone = (enrolled === count && connected === 0) || connected === count;
    if (line === last || (!stepDone && performance.now() - lastAt < 1_000)) return;
    say(line);
    last = line;
    lastAt = performance.now();
  };
  const { stage, ...fleetOptions } = options;
  const fleet = await startSimulatedFleet({ ...fleetOptions, onProgress: report });
  const faulty = fleet.nodes.filter((node) => node.fault).map((node) => `${node.hostname}=${node.fault}`);
  say(`all ${fleet.nodes.length} nodes connected${faulty.length ? `; faults: ${faulty.join(" ")}` : ""}`);
  if (stage) {
    fleet.stage(stage);
    say(`staged image ${stage} on every node`);
  }
  const ticker = setInterval(() => report(fleet.progress()), 2_000);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(ticker);
  say("stopping");
  await fleet.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof SimulationError ? error.message : (error.stack ?? error.message));
    process.exit(error instanceof SimulationError && error.code === "bad-input" ? 2 : 1);
  },
);
