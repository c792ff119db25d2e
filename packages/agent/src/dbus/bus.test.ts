// openBusWhenUp against a real dbus-daemon that is not there yet: the agent starts before the bus in a boot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type PrivateBus, startPrivateBus } from "../testing/private-bus";
import { closeBus, openBusWhenUp, uniqueName } from "./bus";

let bus: PrivateBus | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await bus?.stop();
  bus = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-bus-wait-"));
  dirs.push(dir);
  return dir;
};

describe("opening the system bus before it is up", () => {
  it("waits for a bus that starts later, and says once that it waits", async () => {
    const dir = folder();
    const said: string[] = [];
    const opening = openBusWhenUp(`unix:path=${join(dir, "bus.sock")}`, {
      waitMs: 20_000,
      onWaiting: (reason) => said.push(reason),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    bus = await startPrivateBus({ dir });
    const opened = await opening;
    try {
      expect(uniqueName(opened)).toMatch(/^:\d+\.\d+$/);
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("ENOENT");
    } finally {
      closeBus(opened);
    }
  });

  it("gives up after its wait with the reason, so that systemd restarts the agent", async () => {
    const dir = folder();
    const started = Date.now();
    await expect(openBusWhenUp(`unix:path=${join(dir, "bus.sock")}`, { waitMs: 300 })).rejects.toThrow(/ENOENT/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
