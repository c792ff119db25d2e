import { freePort } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { createEnrollmentToken } from "@softfleet/fleet";
import { type AppProcess, type ControlTls, startControl, waitForHttp } from "@softfleet/launcher";
import type { TestDatabase } from "./database";

export interface TestControl {
  url: string;
  process: AppProcess;
  /** Its output so far, for a failing test's message. */
  output: string[];
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** kill -9: no chance to clean up, as when a machine dies. */
  kill(): Promise<void>;
}

/** A real control process (gateway and rollout engine) on the test database, on a free port. */
export async function startTestControl(
  t: TestDatabase,
  options: { env?: NodeJS.ProcessEnv; port?: number; tls?: ControlTls; extraHosts?: string[] } = {},
): Promise<TestControl> {
  const output: string[] = [];
  const control = startControl({
    root: repoRoot(),
    databaseUrl: t.url,
    host: "127.0.0.1",
    port: options.port ?? (await freePort()),
    env: options.env,
    tls: options.tls,
    extraHosts: options.extraHosts,
    output: (_name, line) => output.push(line),
  });
  try {
    await waitForHttp(control, "/healthz", { timeoutMs: 30_000 });
  } catch (error) {
    await control.stop();
    throw new Error(`${(error as Error).message}\n${output.join("\n")}`);
  }
  return {
    url: control.url,
    process: control,
    output,
    stop: () => control.stop(),
    async kill() {
      control.child.kill("SIGKILL");
      await control.exited;
    },
  };
}

/** A one-hour enrollment token for as many nodes as a test needs. */
export async function newEnrollmentToken(t: TestDatabase): Promise<string> {
  const { token } = await t.db.$transaction((tx) =>
    createEnrollmentToken(tx, { label: "test", ttlHours: 1, maxUses: null, createdById: null }),
  );
  return token;
}
