// A simulated fleet alone in a process, for the test that stop() leaves nothing running:
// options as JSON in argv[2]; prints "ready", stops on a line on stdin, prints "stopped" and
// then does nothing, so the process exits only if no timer or socket is left.
import { startSimulatedFleet } from "../fleet";

const fleet = await startSimulatedFleet(JSON.parse(process.argv[2]!));
fleet.stage("2");
process.stdout.write("ready\n");
process.stdin.once("data", async () => {
  process.stdin.destroy();
  await fleet.stop();
  const down = fleet.nodes.filter((node) => node.status !== "up").length;
  process.stdout.write(`stopped ${down}\n`);
});
