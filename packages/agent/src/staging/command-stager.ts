/**
 * The command stager: runs the operator's own staging command (e.g. `bootc
 * switch --apply`, or a script) in a process group of its own, bounded in
 * time, keeping the tail of its output for the error message.
 */
import { spawn } from "node:child_process";
import { abortedError, StageError, throwIfAborted } from "./errors";
import { LineSplitter, OutputTail } from "./output-tail";

export interface CommandStagerSpec {
  argv: string[];
  timeoutSec: number;
  /** Added to the agent's environment. */
  env?: Record<string, string>;
}

export interface CommandStagerOptions {
  signal?: AbortSignal;
  onOutput?: (line: string) => void;
  /** After SIGTERM, how long the group has before SIGKILL. */
  killGraceMs?: number;
}

export interface CommandResult {
  exitCode: number;
  /** The last ~20 lines (at most 4 KB) of stdout and stderr, in the order they came. */
  outputTail: string;
}

export async function runCommandStager(
  spec: CommandStagerSpec,
  options: CommandStagerOptions = {},
): Promise<CommandResult> {
  const [file, ...args] = spec.argv;
  if (!file) throw new StageError("bad-input", 'the staging command is empty: give argv, e.g. ["bootc", "upgrade"]');
  throwIfAborted(options.signal);
  const tail = new OutputTail();
  const onLine = (line: string) => {
    tail.push(line);
    options.onOutput?.(line);
  };
  // detached: a process group of its own, so a timeout reaches every process the command started.
  const child = spawn(file, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...spec.env },
  });
  for (const stream of [child.stdout, child.stderr]) {
    const lines = new LineSplitter(onLine);
    stream.setEncoding("utf8").on("data", (text: string) => lines.write(text));
    stream.on("end", () => lines.end());
  }

  let stoppedFor: "timeout" | "aborted" | null = null;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const stop = (reason: "timeout" | "aborted") => {
    if (stoppedFor || child.exitCode !== null) return;
    stoppedFor = reason;
    signalGroup("SIGTERM");
    setTimeout(() => signalGroup("SIGKILL"), options.killGraceMs ?? 5000).unref();
  };
  const timer = setTimeout(() => stop("timeout"), spec.timeoutSec * 1000);
  const onAbort = () => stop("aborted");
  options.signal?.addEventListener("abort", onAbort, { once: true });

  let ended: { code: number | null; signal: NodeJS.Signals | null };
  try {
    ended = await new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
  } catch (error) {
    throw new StageError("command-failed", `cannot run ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }

  const output = tail.text();
  if (stoppedFor === "aborted") throw abortedError();
  if (stoppedFor === "timeout") {
    throw new StageError(
      "timeout",
      `${file} did not finish within ${spec.timeoutSec} s and was killed (its whole process group)${lastOutput(output)}`,
    );
  }
  if (ended.code !== 0) {
    const how = ended.signal ? `was killed by ${ended.signal}` : `failed with exit code ${ended.code}`;
    throw new StageError("command-failed", `${file} ${how}${lastOutput(output)}`);
  }
  return { exitCode: 0, outputTail: output };
}

function lastOutput(output: string): string {
  return output ? `; its last output:\n${output}` : " (no output)";
}
