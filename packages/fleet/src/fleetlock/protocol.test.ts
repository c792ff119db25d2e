import { describe, expect, it } from "vitest";
import { FleetLockError, parseFleetLockRequest } from "./protocol";

function refusal(text: string): { kind: string; value: string } {
  try {
    parseFleetLockRequest(text);
  } catch (error) {
    if (error instanceof FleetLockError) return error.body;
    throw error;
  }
  throw new Error("the body was accepted");
}

describe("a FleetLock request body", () => {
  it("accepts the spec's example, extra fields and all", () => {
    const body = { client_params: { group: "default", id: "c988d2509fdf5cdcbed39037c56406fb" }, extra: 1 };
    expect(parseFleetLockRequest(JSON.stringify(body)).client_params).toEqual({
      group: "default",
      id: "c988d2509fdf5cdcbed39037c56406fb",
    });
  });

  it("says what is wrong, and where", () => {
    expect(refusal("{not json")).toEqual({ kind: "invalid_body", value: expect.stringContaining("not JSON") });
    expect(refusal("{}").value).toBe("client_params: must be an object with id and group");
    expect(refusal('{"client_params":{"group":"default"}}').value).toBe("client_params.id: must be a string");
    expect(refusal('{"client_params":{"id":"","group":"default"}}').value).toBe("client_params.id: must not be empty");
    expect(refusal('{"client_params":{"id":"x","group":"no spaces"}}').value).toBe(
      "client_params.group: must match ^[a-zA-Z0-9.-]+$",
    );
    expect(refusal("[1]").kind).toBe("invalid_body");
  });
});
