import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);

export interface AppProcess {
  name: string;
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

export interface AppOptions {
  root: string;
  databaseUrl: string;
  host: string;
  port: number;
  env?: NodeJS.ProcessEnv;
  /** Receives each line the process prints. */
  output?: (name: string, line: string) => void;
}

function launch(
  name: string,
  command: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  url: string,
  output?: AppOptions["output"],
): AppProcess {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, {
    cwd,
    env: { ...env, SOFTFLEET_SUPERVISOR_PID: String(process.pid) },
    // Own process group: Ctrl-C reaches the supervisor, which stops the apps in order.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    let partial = "";
    stream?.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) output?.(name, line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    child,
    url,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function startControl(options: AppOptions): AppProcess {
  const tsx = require.resolve("tsx", { paths: [options.root] });
  const cwd = join(options.root, "apps/control");
  return launch(
    "control",
    [process.execPath, "--import", tsx, "src/main.ts"],
    cwd,
    {
      ...process.env,
      ...options.env,
      DATABASE_URL: options.databaseUrl,
      CONTROL_HOST: options.host,
      CONTROL_PORT: String(options.port),
    },
    `http://${options.host}:${options.port}`,
    options.output,
  );
}

export function startWeb(options: AppOptions): AppProcess {
  const cwd = join(options.root, "apps/web");
  return launch(
    "web",
    [process.execPath, "server.mjs"],
    cwd,
    {
      ...process.env,
      ...options.env,
      NODE_ENV: "production",
      DATABASE_URL: options.databaseUrl,
      HOST: options.host,
      PORT: String(options.port),
    },
    `http://${options.host}:${options.port}`,
    options.output,
  );
}

/** Polls a URL until it answers 2xx/3xx, or the process dies, or the time runs out. */
export async function waitForHttp(
  app: AppProcess,
  path: string,
  { timeoutMs = 60_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  void app.exited.then(() => (died = true));
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (died) throw new Error(`${app.name} exited before it answered on ${app.url}${path}; its output is above`);
    try {
      const response = await fetch(`${app.url}${path}`, { redirect: "manual", signal: AbortSignal.timeout(2_000) });
      if (response.status < 400) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${app.name} did not answer on ${app.url}${path} within ${timeoutMs / 1000} s`);
}
