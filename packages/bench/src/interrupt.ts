/**
 * What a running benchmark started (stacks, databases, control processes),
 * stopped when the benchmark is interrupted (Ctrl-C, SIGTERM): a finally
 * block does not run then, and an embedded Postgres would be left running,
 * orphaned, with its folder in the temp directory.
 */
const running = new Set<() => Promise<void>>();

/** Registers `stop` until the returned function is called (from the benchmark's own finally). */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  running.add(stop);
  return () => running.delete(stop);
}

let installed = false;

/** Installs the handlers once: on SIGINT or SIGTERM, stop everything registered, then exit. */
export function handleInterrupts(say: (line: string) => void) {
  if (installed) return;
  installed = true;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping what the benchmark started (${running.size} item(s)); a second signal cannot hurry it`);
    void Promise.allSettled([...running].map((stop) => stop())).then(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
