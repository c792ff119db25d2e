import { describe, expect, it } from "vitest";
import { requestedType, requestOf } from "./shutdown-requests";

describe("what a logind call asks for", () => {
  it("reads systemctl's flags: reboot (maybe via kexec, maybe soft into /run/nextroot) is a reboot; SOFT_REBOOT is a soft-reboot", () => {
    expect(requestedType("RebootWithFlags", [0x0an])).toBe("reboot"); // systemctl reboot, nextroot mounted
    expect(requestedType("RebootWithFlags", [0x02n])).toBe("reboot");
    expect(requestedType("RebootWithFlags", [0x04n])).toBe("soft-reboot"); // systemctl soft-reboot
    expect(requestedType("RebootWithFlags", [0x14n])).toBe("soft-reboot");
    expect(requestedType("PowerOffWithFlags", [0n])).toBe("poweroff");
    expect(requestedType("Halt", [false])).toBe("halt");
    expect(requestedType("ScheduleShutdown", ["soft-reboot", 0n])).toBe("soft-reboot");
    // A dry run and a cancel ask for nothing; other methods are not shutdowns.
    expect(requestedType("ScheduleShutdown", ["dry-reboot", 0n])).toBeNull();
    expect(requestedType("ScheduleShutdown", ["", 0n])).toBeNull();
    expect(requestedType("Inhibit", ["shutdown", "x", "y", "delay"])).toBeNull();
  });

  it("names the method with its flags and the caller, for logind's Manager interface only", () => {
    const call = { type: 1, member: "RebootWithFlags", body: [0x0an], sender: ":1.7" };
    expect(requestOf({ ...call, interface: "org.freedesktop.login1.Manager" })).toEqual({
      type: "reboot",
      method: "RebootWithFlags 0xa",
      sender: ":1.7",
    });
    expect(requestOf({ ...call, interface: "org.example.Other" })).toBeNull();
  });
});
