/** Numbered steps with elapsed time, so a slow start shows where it is. */
export function stepper(total: number, prefix = "softfleet") {
  const started = performance.now();
  let index = 0;
  return {
    step(message: string) {
      index += 1;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.error(`[${prefix}] (${index}/${total}, ${seconds}s) ${message}…`);
    },
    elapsedMs: () => performance.now() - started,
  };
}
