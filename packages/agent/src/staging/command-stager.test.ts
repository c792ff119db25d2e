import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCommandStager } from "./command-stager";
import { rejection } from "./test-image-server";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-command-stager-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Running, not a zombie: an orphan's zombie stays until PID 1 reaps it, and some PID 1s never do. */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

describe("runCommandStager", () => {
  it("runs the command with the extra environment and hands each output line over", async () => {
    const lines: string[] = [];
    const result = await runCommandStager(
      {
        argv: ["sh", "-c", 'echo "staging $TARGET"; echo warning >&2; echo done'],
        timeoutSec: 10,
        env: { TARGET: "v2" },
      },
      { onOutput: (line) => lines.push(line) },
    );
    expect(result.exitCode).toBe(0);
    expect(lines.sort()).toEqual(["done", "staging v2", "warning"]);
    expect(result.outputTail.split("\n").sort()).toEqual(["done", "staging v2", "warning"]);
  });

  it("fails with command-failed, the message ending with the last lines of stdout and stderr", async () => {
    const script =
      "i=1; while [ $i -le 50 ]; do echo line $i; i=$((i+1)); done; sleep 0.1; echo 'disk on fire' >&2; exit 3";
    const error = await rejection(runCommandStager({ argv: ["sh", "-c", script], timeoutSec: 10 }));
    expect(error.code).toBe("command-failed");
    expect(error.message).toMatch(/exit code 3/);
    expect(error.message).toMatch(/line 50\ndisk on fire$/);
    expect(error.message).toContain("line 32\n");
    expect(error.message).not.toContain("line 31\n");
    expect(error.message.split("\n").length).toBeLessThanOrEqual(21);
  });

  it("a command that cannot be started is command-failed", async () => {
    const error = await rejection(runCommandStager({ argv: [join(dir, "no-such-tool")], timeoutSec: 5 }));
    expect(error.code).toBe("command-failed");
    expect(error.message).toContain("ENOENT");
  });

  it("on timeout kills the whole process group and fails with timeout", async () => {
    const pidFile = join(dir, "background.pid");
    const started = performance.now();
    const error = await rejection(
      runCommandStager({
        argv: ["sh", "-c", `sleep 30 & echo $! > ${pidFile}; echo waiting; wait`],
        timeoutSec: 0.5,
      }),
    );
    expect(error.code).toBe("timeout");
    expect(error.message).toContain("waiting");
    expect(performance.now() - started).toBeLessThan(4000);
    const background = Number(readFileSync(pidFile, "utf8"));
    await sleep(100);
    expect(isRunning(background)).toBe(false);
  });

  it("sends SIGKILL after the grace time to a group that ignores SIGTERM", async () => {
    const started = performance.now();
    const error = await rejection(
      runCommandStager(
        { argv: ["sh", "-c", 'trap "" TERM; while :; do sleep 0.05; done'], timeoutSec: 0.3 },
        { killGraceMs: 300 },
      ),
    );
    expect(error.code).toBe("timeout");
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(4000);
  });

  it("an abort stops the command and rejects with aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(
      runCommandStager({ argv: ["sleep", "30"], timeoutSec: 60 }, { signal: controller.signal }),
    );
    expect(error.code).toBe("aborted");
  });

  it("refuses an empty argv", async () => {
    expect((await rejection(runCommandStager({ argv: [], timeoutSec: 1 }))).code).toBe("bad-input");
  });
});
