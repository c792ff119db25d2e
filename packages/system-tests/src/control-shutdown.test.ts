import { type SimulatedFleet, startSimulatedFleet } from "@softfleet/simagent";
import { createTestDatabase, newEnrollmentToken, startTestControl, type TestDatabase, until } from "@softfleet/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * Control stopped (SIGTERM: systemd's stop, Ctrl-C under `npm start`) with a
 * fleet connected: it closes the agents' connections, writes what that
 * changes, and exits 0, promptly, rather than being cut off with its writes
 * half done.
 */

let t: TestDatabase;
let fleet: SimulatedFleet | undefined;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await fleet?.stop();
  await t?.drop();
});

it("stops cleanly with agents connected: their nodes marked offline, every write done, exit 0", async () => {
  const control = await startTestControl(t);
  fleet = await startSimulatedFleet({
    controlUrl: control.url,
    enrollmentToken: await newEnrollmentToken(t),
    count: 40,
    seed: 11,
    timeScale: 0.05,
  });
  await until("40 nodes online", async () => (await t.db.node.count({ where: { status: "online" } })) === 40);

  const stopping = Date.now();
  control.process.child.kill("SIGTERM");
  const code = await control.process.exited;
  const took = Date.now() - stopping;
  const output = control.output.join("\n");

  expect(output).not.toMatch(/failed|did not close/);
  expect(code, output).toBe(0);
  expect(output).toMatch(/\[control\] stopped$/m);
  // Nodes whose connection control closed are offline, not left "online" for the next process to sweep.
  expect(await t.db.node.count({ where: { status: "offline" } })).toBe(40);
  // Agents are told to go (and reconnect elsewhere) rather than waited for: well within systemd's 90 s.
  expect(took).toBeLessThan(10_000);
}, 90_000);
