import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deviceName, findPinnedRoot, mappedFrom, mapsFrom, mountsFrom, unitOfCgroup } from "./pinned-root";

const SMAPS = `55742f2c4000-55742f2c5000 r--p 00000000 00:28 1602943                    /usr/bin/node
Size:                  4 kB
Pss:                   4 kB
7f0000000000-7f0000100000 r-xp 00000000 00:28 1602950                    /usr/lib/x86_64-linux-gnu/libnode.so.115
Size:               1024 kB
Pss:                 512 kB
7f0000200000-7f0000300000 r--p 00000000 00:36 1602950                    /usr/lib/x86_64-linux-gnu/libc.so.6
Pss:                 300 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Pss:                 132 kB
`;

describe("finding what holds an old root", () => {
  it("names a device as major:minor, as smaps and mountinfo do", () => {
    expect(deviceName(40)).toBe("0:40");
    expect(deviceName(2049)).toBe("8:1");
    expect(deviceName(statSync("/").dev)).toMatch(/^\d+:\d+$/);
  });

  it("sums the Pss of the mappings from the old root's device only (smaps prints it in hex)", () => {
    expect(mappedFrom(SMAPS, new Set(["0:40"]))).toEqual({
      files: ["/usr/bin/node", "/usr/lib/x86_64-linux-gnu/libnode.so.115"],
      pssKb: 516,
    });
    expect(mappedFrom(SMAPS, new Set(["0:54"]))).toEqual({
      files: ["/usr/lib/x86_64-linux-gnu/libc.so.6"],
      pssKb: 300,
    });
    // Anonymous memory (device 00:00, inode 0) is never a file of a root.
    expect(mappedFrom(SMAPS, new Set(["0:0"]))).toEqual({ files: [], pssKb: 0 });
  });

  it("tells from maps alone whether a process maps anything of the old root (smaps is read only then)", () => {
    const maps = SMAPS.split("\n")
      .filter((line) => !/^[A-Z]/.test(line))
      .join("\n");
    expect(mapsFrom(maps, new Set(["0:40"]))).toBe(true);
    expect(mapsFrom(maps, new Set(["0:54"]))).toBe(true);
    expect(mapsFrom(maps, new Set(["0:99"]))).toBe(false);
    expect(mapsFrom(maps, new Set(["0:0"]))).toBe(false);
  });

  it("finds mounts of the old root in a mountinfo, and the unit of a cgroup", () => {
    const mountinfo = "25 1 0:40 / /oldroot ro shared:1 - overlay overlay ro\n26 1 0:54 / / rw - overlay overlay rw\n";
    expect(mountsFrom(mountinfo, new Set(["0:40"]))).toEqual(["/oldroot"]);
    expect(unitOfCgroup("0::/system.slice/softfleet-demo-bad-survivor.service\n")).toBe(
      "softfleet-demo-bad-survivor.service",
    );
    expect(unitOfCgroup("0::/user.slice/user-0.slice/session-3.scope\n")).toBe("session-3.scope");
    expect(unitOfCgroup("0::/\n")).toBeNull();
  });

  it("finds a real process by its cwd on another file system, and nothing for a device nobody uses", async () => {
    const dir = mkdtempSync("/dev/shm/softfleet-pinned-");
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { cwd: dir, stdio: "ignore" });
    try {
      await new Promise((resolve) => child.once("spawn", resolve));
      const device = deviceName(statSync(dir).dev);
      const found = await findPinnedRoot([device]);
      expect(found?.devices).toEqual([device]);
      expect(found?.processes.find((p) => p.pid === child.pid)).toMatchObject({ refs: ["cwd"], comm: "node" });
      expect(found!.scannedProcesses).toBeGreaterThan(1);
      expect(await findPinnedRoot(["4095:1048575"])).toMatchObject({ processes: [], pssKb: 0 });
      expect(await findPinnedRoot([])).toBeNull();
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
