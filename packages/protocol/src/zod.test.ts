import { describe, expect, it } from "vitest";
import { count32, messageId } from "./common";
import { agentMessage, parseFrame } from "./messages";

describe("the protocol's zod/mini", () => {
  it("gives classic zod's English messages, with no classic zod loaded", () => {
    expect(count32.safeParse("1").error?.issues[0]?.message).toBe("Invalid input: expected number, received string");
    expect(count32.safeParse(1.5).error?.issues[0]?.message).toBe("Invalid input: expected int, received number");
    expect(count32.safeParse(2 ** 31).error?.issues[0]?.message).toBe("must be at most 2^31-1");
    expect(messageId.safeParse("short").error?.issues[0]?.message).toBe(
      "Too small: expected string to have >=8 characters",
    );
    expect(parseFrame(agentMessage, JSON.stringify({ kind: "heartbeat", v: 1 }))).toEqual({
      ok: false,
      code: "invalid",
      error: "monotonicUsec: Invalid input: expected string, received undefined",
    });
    expect(parseFrame(agentMessage, JSON.stringify({ kind: "nope", v: 1 }))).toEqual({
      ok: false,
      code: "unknown-kind",
      error: "kind: Invalid discriminator value. Expected 'hello' | 'state' | 'event' | 'heartbeat' | 'stage-progress'",
    });
  });
});

describe("microseconds in a frame", () => {
  it("refuses a value that is not digits with a reason instead of throwing", () => {
    expect(parseFrame(agentMessage, JSON.stringify({ kind: "heartbeat", v: 1, monotonicUsec: "12x" }))).toEqual({
      ok: false,
      code: "invalid",
      error: "monotonicUsec: must be microseconds as a decimal string",
    });
    expect(
      parseFrame(agentMessage, JSON.stringify({ kind: "heartbeat", v: 1, monotonicUsec: "9999999999999999999" })),
    ).toMatchObject({ ok: false, error: "monotonicUsec: must be at most 2^63-1 microseconds (a signed 64-bit value)" });
  });
});
