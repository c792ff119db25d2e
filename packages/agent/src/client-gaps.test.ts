import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clientGapsIn, type ProberState, readProberState } from "./client-gaps";

const target = (name: string, over: Partial<ProberState["targets"][number]> = {}) => ({
  name,
  target: `http://127.0.0.1:1800${name.length}/`,
  failing: 0,
  lastOkUsec: "9000000",
  gaps: [] as ProberState["targets"][number]["gaps"],
  ...over,
});

const state = (targets: ProberState["targets"]): ProberState => ({
  version: 1,
  intervalMs: 10,
  writtenUsec: "9000000",
  targets,
});

// The soft-reboot: signal at 5 s, agent connected again at 7 s.
const window = { fromUsec: 5_000_000n, toUsec: 7_000_000n };

describe("client-visible gaps", () => {
  it("takes the longest gap of each target within the reboot, with the probes that failed in it", () => {
    const gaps = clientGapsIn(
      state([
        target("survivor", { gaps: [{ fromUsec: "5400000", toUsec: "5425000", failed: 0 }] }),
        target("ordinary", {
          gaps: [
            { fromUsec: "1000000", toUsec: "1900000", failed: 80 }, // an earlier restart: not this reboot
            { fromUsec: "5300000", toUsec: "6050000", failed: 61 },
            { fromUsec: "6100000", toUsec: "6140000", failed: 2 },
          ],
        }),
        target("quiet"),
      ]),
      window,
    );
    expect(gaps).toEqual([
      { name: "survivor", target: "http://127.0.0.1:18008/", longestGapMs: 25, failedProbes: 0, open: false },
      { name: "ordinary", target: "http://127.0.0.1:18008/", longestGapMs: 750, failedProbes: 63, open: false },
      { name: "quiet", target: "http://127.0.0.1:18005/", longestGapMs: 0, failedProbes: 0, open: false },
    ]);
  });

  it("reports a target still failing as an open gap from its last answer", () => {
    const [gap] = clientGapsIn(state([target("down", { failing: 300, lastOkUsec: "6000000" })]), window);
    expect(gap).toMatchObject({ longestGapMs: 3000, failedProbes: 300, open: true });
  });

  it("reads the prober's file, and takes nothing from a missing, oversized or malformed one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "softfleet-prober-"));
    try {
      const file = join(dir, "gaps.json");
      expect(await readProberState(file)).toBeNull();
      writeFileSync(file, JSON.stringify(state([target("a")])));
      expect((await readProberState(file))?.targets.map((t) => t.name)).toEqual(["a"]);
      writeFileSync(file, JSON.stringify({ ...state([target("a")]), writtenUsec: -1 }));
      expect(await readProberState(file)).toBeNull();
      writeFileSync(file, "{ not json");
      expect(await readProberState(file)).toBeNull();
      writeFileSync(file, " ".repeat(2 * 1024 * 1024));
      expect(await readProberState(file)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
