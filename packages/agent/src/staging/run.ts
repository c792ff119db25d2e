/**
 * Runs a system program (tar, cp, mount ...) with an argument array, never a
 * shell, keeping the tail of its output; an abort kills it.
 */
import { spawn } from "node:child_process";
import { abortedError } from "./errors";

export interface ProgramResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last `maxOutputChars` of stderr. */
  stderr: string;
}

export function runProgram(
  file: string,
  args: string[],
  options: { signal?: AbortSignal; maxOutputChars?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ProgramResult> {
  const max = options.maxOutputChars ?? 16_384;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(abortedError());
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout = (stdout + text).slice(-max);
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr = (stderr + text).slice(-max);
    });
    const onAbort = () => child.kill("SIGKILL");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error) => {
      options.signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (options.signal?.aborted) reject(abortedError());
      else resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last lines of a program's stderr, for an error message. */
export function stderrTail(stderr: string, maxChars = 1000): string {
  const text = stderr.trim();
  return text.length > maxChars ? `...${text.slice(-maxChars)}` : text || "(no output)";
}

/** "exit 2" or "killed by SIGKILL". */
export function howItEnded(result: Pick<ProgramResult, "code" | "signal">): string {
  return result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
}
