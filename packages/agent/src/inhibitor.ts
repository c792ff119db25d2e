import { type ChildProcess, spawn } from "node:child_process";
import { errorText, log } from "./log";

/**
 * A shutdown delay lock taken in advance, so that logind waits (at most
 * InhibitDelayMaxSec=) for the agent to report the shutdown before it goes on.
 *
 * logind's Inhibit() returns the lock as a file descriptor, and dbus-next can
 * receive fds only through the native `usocket` addon. The agent ships as one
 * JavaScript file with no native parts, so it uses the alternative that
 * soft-reboot.md documents: a child `systemd-inhibit ... sleep infinity`
 * holds the fd, and ending that child releases the lock. (systemd-inhibit
 * closes the fd in its `sleep` child and kills it when it dies itself.)
 *
 * logind refuses new delay locks once a shutdown is under way, which is why
 * the lock is held all the time and re-taken after a cancelled shutdown.
 */
export interface InhibitorOptions {
  command?: string;
  why?: string;
  /**
   * Whether logind lists a lock held by `pid` (ListInhibitors); null when it
   * cannot tell. Without an answer, a child still running after `settleMs`
   * counts as holding the lock (systemd-inhibit exits at once when refused).
   */
  verify?: (pid: number) => Promise<boolean | null>;
  settleMs?: number;
  /** A child that logind still does not list after this long is ended and the lock retried. */
  verifyTimeoutMs?: number;
  /** Retry delays grow from `minRetryMs` to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  env?: NodeJS.ProcessEnv;
}

export type InhibitorStatus = "idle" | "taking" | "held" | "failed" | "released";

const POLL_MS = 50;
/** How long a refusal waits for the rest of systemd-inhibit's stderr after it exited. */
const STDERR_DRAIN_MS = 200;

export class ShutdownInhibitor {
  private child: ChildProcess | null = null;
  private status: InhibitorStatus = "idle";
  private wanted = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly options: Required<Omit<InhibitorOptions, "env" | "verify">> &
    Pick<InhibitorOptions, "env" | "verify">;

  constructor(options: InhibitorOptions = {}) {
    this.options = {
      command: "systemd-inhibit",
      why: "report the shutdown to the control plane",
      settleMs: 300,
      verifyTimeoutMs: 5000,
      minRetryMs: 1000,
      maxRetryMs: 30_000,
      ...options,
    };
  }

  get state(): InhibitorStatus {
    return this.status;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Takes the lock and keeps it: re-taken with backoff whenever it is lost or refused. */
  take(): void {
    this.wanted = true;
    if (!this.child && !this.retryTimer) this.spawnChild();
  }

  /** Releases the lock; resolves once the child (and with it the fd) is gone. */
  async release(): Promise<void> {
    await this.drop().gone;
  }

  /**
   * Releases the lock at once, as a shutdown waits for it: SIGKILL runs no
   * code in systemd-inhibit, the kernel closes its fd as it ends the process
   * (its `sleep` child follows by its death signal). `gone` resolves when
   * this process has reaped the child.
   */
  drop(): { gone: Promise<void> } {
    this.wanted = false;
    this.clearRetry();
    const child = this.child;
    this.status = "released";
    if (!child || child.exitCode !== null || child.signalCode !== null) return { gone: Promise.resolve() };
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    return { gone };
  }

  private spawnChild(): void {
    const { command, why } = this.options;
    const args = ["--what=shutdown", "--mode=delay", "--who=softfleet-agent", `--why=${why}`, "sleep", "infinity"];
    this.status = "taking";
    let stderr = "";
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], env: this.options.env ?? process.env });
    this.child = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-500);
    });
    child.on("error", (error) => {
      if (this.child !== child) return;
      this.child = null;
      this.failed(`cannot start ${command}: ${errorText(error)}`);
    });
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      if (!this.wanted) return;
      const held = this.status === "held";
      let reported = false;
      const report = () => {
        if (reported) return;
        reported = true;
        const detail = stderr.trim() || `exit code ${code ?? signal}`;
        this.failed(held ? `the lock was lost: ${detail}` : `logind refused the lock: ${detail}`);
      };
      // "exit" may come before systemd-inhibit's last words are read from its stderr: read to the
      // end, for at most STDERR_DRAIN_MS (a `sleep` it started may still hold the pipe open).
      const pipe = child.stderr;
      if (!pipe || pipe.readableEnded) return report();
      const timer = setTimeout(report, STDERR_DRAIN_MS);
      pipe.once("end", () => {
        clearTimeout(timer);
        report();
      });
    });
    void this.confirm(child);
  }

  /** Waits until logind lists the child's lock (or, unable to ask, until the child has settled). */
  private async confirm(child: ChildProcess): Promise<void> {
    const started = Date.now();
    const current = () => this.child === child && this.status === "taking";
    while (current()) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (!current() || child.pid === undefined) return;
      const listed = this.options.verify ? await this.options.verify(child.pid).catch(() => null) : null;
      if (!current()) return;
      const elapsed = Date.now() - started;
      if (listed === true || (listed === null && elapsed >= this.options.settleMs)) {
        this.status = "held";
        this.failures = 0;
        log.info("inhibitor: shutdown delay lock held", { pid: child.pid, confirmed: listed === true });
        return;
      }
      if (elapsed >= this.options.verifyTimeoutMs) {
        this.child = null;
        child.kill("SIGTERM");
        this.failed(`logind does not list the lock of systemd-inhibit (pid ${child.pid})`);
        return;
      }
    }
  }

  private failed(reason: string): void {
    this.clearRetry();
    this.status = "failed";
    this.failures++;
    if (!this.wanted) return;
    const delay = Math.min(this.options.maxRetryMs, this.options.minRetryMs * 2 ** (this.failures - 1));
    log.error("inhibitor: no shutdown delay lock, shutdowns will not wait for the report", {
      reason,
      retryInMs: delay,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted && !this.child) this.spawnChild();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
