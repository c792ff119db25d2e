import { spawn } from "node:child_process";
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { PROTOCOL_VERSION, serverMessage } from "@softfleet/protocol";
import { writeFileAtomic } from "./fsutil";

/**
 * Runs the code of the shutdown path once, harmlessly, while nothing waits.
 * A soft-reboot restarts the agent, so each process meets logind's signal
 * exactly once; the agent's V8 runs without an optimising compiler (for
 * memory) and compiles functions lazily, the first time they run. Without
 * this, parsing the ack, writing the spool file and reaping the lock's child
 * would be compiled while the shutdown waits (measured: 2 to 7 ms of the
 * added delay).
 */
export async function warmUpShutdownPath(runtimeDir: string): Promise<void> {
  serverMessage.safeParse({ kind: "ack", v: PROTOCOL_VERSION, ids: ["0000000000000000-warmup"] });
  const file = join(runtimeDir, "warm-up.json");
  writeFileAtomic(file, JSON.stringify({ kind: "event", v: PROTOCOL_VERSION }), 0o600);
  unlinkSync(file);
  // Reaping a child: what releasing the delay lock waits for.
  await new Promise<void>((resolve) => {
    const child = spawn("sleep", ["10"], { stdio: "ignore" });
    child.once("error", () => resolve());
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
