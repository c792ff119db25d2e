import { describe, expect, it } from "vitest";
import { BLAME_TOP, type UnitTimes, unitBlame } from "./blame";

// A soft-reboot as a lab node showed it (µs): ShutdownStart 3013.89 s, Userspace 3014.40 s, Finish 3015.88 s.
const window = { shutdownStartUsec: 3_013_893_885n, userspaceUsec: 3_014_401_814n, finishUsec: 3_015_876_113n };
const unit = (name: string, t: [number, number, number, number]): UnitTimes => ({
  name,
  activeExitUsec: BigInt(t[0]),
  inactiveEnterUsec: BigInt(t[1]),
  inactiveExitUsec: BigInt(t[2]),
  activeEnterUsec: BigInt(t[3]),
});

describe("the unit blame of a reboot", () => {
  it("times each unit's stop in the shutdown and its start in the boot, slowest first", () => {
    const blame = unitBlame(
      [
        unit("dbus.service", [3_014_051_662, 3_014_061_365, 3_015_603_480, 3_015_765_590]),
        unit("slow-stop.service", [3_013_914_613, 3_014_916_000, 3_015_605_657, 3_015_605_657]),
        unit("systemd-journald.service", [3_014_275_385, 3_014_300_193, 3_014_982_127, 3_015_260_290]),
      ],
      window,
    );
    expect(blame.stop.map((u) => [u.name, u.ms])).toEqual([
      ["slow-stop.service", 1001.387],
      ["systemd-journald.service", 24.808],
      ["dbus.service", 9.703],
    ]);
    expect(blame.start.map((u) => [u.name, u.ms])).toEqual([
      ["systemd-journald.service", 278.163],
      ["dbus.service", 162.11],
      ["slow-stop.service", 0],
    ]);
    expect(blame).toMatchObject({ stopped: 3, started: 3 });
  });

  it("leaves out what did not happen in this cycle: survivors, units started later, earlier stops", () => {
    const blame = unitBlame(
      [
        // Survived: never stopped, its start long before.
        unit("survivor.service", [0, 0, 1_000_000, 1_200_000]),
        // Started by a timer after the boot finished.
        unit("later.service", [0, 0, 3_020_000_000, 3_020_500_000]),
        // Stopped by an admin an hour before the soft-reboot.
        unit("old-stop.service", [10_000_000, 12_000_000, 0, 0]),
      ],
      window,
    );
    expect(blame).toEqual({ stopped: 0, started: 0, stop: [], start: [] });
  });

  it("after a full reboot times only the starts: the stops were on a clock that is gone", () => {
    const blame = unitBlame([unit("a.service", [1_000, 2_000_000, 3_014_500_000, 3_014_700_000])], {
      ...window,
      shutdownStartUsec: null,
    });
    expect(blame.stop).toEqual([]);
    expect(blame.start).toEqual([{ name: "a.service", ms: 200 }]);
  });

  it("keeps the ten slowest of each and counts them all", () => {
    const many = Array.from({ length: 25 }, (_, i) =>
      unit(`u${i}.service`, [3_013_900_000, 3_013_900_000 + i * 1000, 0, 0]),
    );
    const blame = unitBlame(many, window);
    expect(blame.stopped).toBe(25);
    expect(blame.stop).toHaveLength(BLAME_TOP);
    expect(blame.stop[0]).toEqual({ name: "u24.service", ms: 24 });
  });
});
