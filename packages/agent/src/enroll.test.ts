import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { controlEndpoint, credentialFile, EnrollmentError, ensureCredential, loadCredential } from "./enroll";
import { setLogSink } from "./log";
import { FAKE_MACHINE_ID } from "./testing/fake-host";
import { type FakeGateway, startFakeGateway, TEST_CREDENTIAL } from "./testing/gateway";

let dir: string;
let gateway: FakeGateway;
let lines: string[];
let restoreLog: (line: string) => void;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-enroll-"));
  gateway = await startFakeGateway();
  lines = [];
  restoreLog = setLogSink((line) => lines.push(line));
});
afterEach(async () => {
  setLogSink(restoreLog);
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

const input = (token: string | undefined) => ({
  controlUrl: gateway.url,
  stateDir: join(dir, "state"),
  token,
  machineId: FAKE_MACHINE_ID,
  hostname: "node-7",
});

describe("enrollment", () => {
  it("trades the token for a credential once, saved with mode 0600, never logged", async () => {
    const credential = await ensureCredential(input("enroll-token-123"));
    expect(credential).toEqual({ nodeId: "node-1", credential: TEST_CREDENTIAL });
    expect(statSync(credentialFile(join(dir, "state"))).mode & 0o777).toBe(0o600);
    expect(loadCredential(join(dir, "state"))).toEqual(credential);
    // The saved credential is used from then on: no second enrollment, no token needed.
    expect(await ensureCredential(input(undefined))).toEqual(credential);
    expect(gateway.enrollments).toBe(1);
    expect(lines.join("\n")).not.toMatch(/enroll-token-123|test-credential/);
  });

  it("says why it cannot enroll, and whether retrying can help", async () => {
    const refused = await ensureCredential(input("wrong-token-000")).catch((error) => error);
    expect(refused).toBeInstanceOf(EnrollmentError);
    expect(refused).toMatchObject({ message: "enrollment refused (403): bad token", retryable: false });

    const missing = await ensureCredential(input(undefined)).catch((error) => error);
    expect(missing).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/^not enrolled: set enrollmentToken/),
    });

    await gateway.close();
    const unreachable = await ensureCredential(input("enroll-token-123")).catch((error) => error);
    expect(unreachable).toMatchObject({ retryable: true, message: expect.stringMatching(/^cannot reach http/) });
  });

  it("keeps a path prefix of the control URL and switches to ws(s)", () => {
    expect(controlEndpoint("https://c.example/softfleet/", "/agent/v1", "ws")).toBe(
      "wss://c.example/softfleet/agent/v1",
    );
    expect(controlEndpoint("http://127.0.0.1:3001", "/agent/v1/enroll")).toBe("http://127.0.0.1:3001/agent/v1/enroll");
  });
});
