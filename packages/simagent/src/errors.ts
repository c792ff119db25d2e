/** The one error type of the simulated fleet; the message says what was wrong and where. */
export class SimulationError extends Error {
  constructor(
    readonly code: "bad-input" | "unknown-node" | "not-up" | "enrollment" | "timeout",
    message: string,
  ) {
    super(message);
    this.name = "SimulationError";
  }
}
