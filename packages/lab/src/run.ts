import { spawn } from "node:child_process";
import { LabError } from "./errors";

/** Host tools live in sbin too, which a non-login root shell may lack in PATH. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function hostEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = [process.env.PATH, SYSTEM_PATH].filter(Boolean).join(":");
  return { ...process.env, PATH: path, ...extra };
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** The exit status; 124 when the timeout ended it, 128 + n for signal n. */
  exitCode: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Called for every complete line on stdout or stderr, as it arrives. */
  onLine?: (line: string) => void;
}

/** Runs a command to completion and collects its output; never throws for a non-zero exit. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? hostEnv(),
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : undefined;
    const lineSplitter = () => {
      let pending = "";
      return (chunk: string) => {
        if (!options.onLine) return;
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) options.onLine(line);
      };
    };
    const outLines = lineSplitter();
    const errLines = lineSplitter();
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      outLines(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      errLines(chunk);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new LabError("command-failed", `could not run ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const exitCode = timedOut ? 124 : (code ?? 128 + signalNumber(signal));
      resolve({ stdout, stderr, exitCode });
    });
  });
}

/** Like run, but a non-zero exit is a LabError naming the command and its stderr. */
export async function runChecked(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join("\n");
    throw new LabError("command-failed", `${command} ${args.join(" ")} exited with ${result.exitCode}: ${detail}`);
  }
  return result;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
