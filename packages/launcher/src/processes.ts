import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);

export interface AppProcess {
  name: string;
  child: ChildProcess;
  url: string;
  /** The CA to trust for an https url. */
  caFile?: string;
  /** Its last lines of output, for an error that says why it stopped. */
  lastLines: string[];
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
  /** Control only: serve https with this certificate (the CA is what probes and agents trust). */
  tls?: ControlTls;
  /** Control only: further addresses to listen on besides `host` (the lab network's gateway). */
  extraHosts?: string[];
}

export interface ControlTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

function launch(
  name: string,
  command: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  url: string,
  output?: AppOptions["output"],
  caFile?: string,
): AppProcess {
  const [file, ...args] = command as [string, ...string[]];
  const lastLines: string[] = [];
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
      for (const line of lines) {
        if (!line.trim()) continue;
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
        output?.(name, line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    child,
    url,
    caFile,
    lastLines,
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
  // TLS from the test's options, or from the operator's environment (npm start with CONTROL_TLS_*).
  const env = { ...process.env, ...options.env };
  const cwd = join(options.root, "apps/control");
  return launch(
    "control",
    [process.execPath, "--import", tsx, "src/main.ts"],
    cwd,
    {
      ...process.env,
      ...options.env,
      DATABASE_URL: options.databaseUrl,
      CONTROL_HOST: [options.host, ...(options.extraHosts ?? [])].join(","),
      CONTROL_PORT: String(options.port),
      ...(options.tls ? { CONTROL_TLS_CERT: options.tls.certFile, CONTROL_TLS_KEY: options.tls.keyFile } : {}),
    },
    `${options.tls || env.CONTROL_TLS_CERT ? "https" : "http"}://${options.host}:${options.port}`,
    options.output,
    options.tls?.caFile,
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
    if (died) {
      throw new Error(
        `${app.name} exited before it answered on ${app.url}${path}; its last output:\n${app.lastLines.join("\n")}`,
      );
    }
    const status = await probe(`${app.url}${path}`, app.caFile).catch(() => 0);
    if (status > 0 && status < 400) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${app.name} did not answer on ${app.url}${path} within ${timeoutMs / 1000} s`);
}

/**
 * The status of a GET, without following redirects. Over https, `caFile` is
 * the only trusted root; without one (control's own certificate from the
 * operator's environment, on loopback) the certificate is not checked: this
 * only asks whether the process answers.
 */
export function probe(url: string, caFile?: string): Promise<number> {
  const secure = url.startsWith("https:");
  const send = secure ? httpsRequest : httpRequest;
  const trust = secure ? (caFile ? { ca: readFileSync(caFile) } : { rejectUnauthorized: false }) : {};
  return new Promise((resolve, reject) => {
    const req = send(url, { timeout: 2_000, ...trust }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 2 s")));
    req.on("error", reject);
    req.end();
  });
}
