/**
 * Under `npm start` the supervisor's pid is in SOFTFLEET_SUPERVISOR_PID. If the
 * supervisor dies without stopping us (kill -9), shut down rather than linger.
 */
export function exitWithSupervisor(stop: (reason: string) => void, pid = Number(process.env.SOFTFLEET_SUPERVISOR_PID)) {
  if (!pid) return;
  setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      stop(`the supervisor (pid ${pid}) is gone`);
    }
  }, 2_000).unref();
}
