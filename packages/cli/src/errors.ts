/** Exit codes a pipeline can tell apart. */
export const EXIT = {
  ok: 0,
  /** Bad usage, a refused request, an unreachable server. */
  error: 1,
  /** The rollout halted (a failed gate, too many failures). */
  halted: 2,
  /** The rollout was aborted. */
  aborted: 3,
  /** --timeout passed before the rollout ended. */
  timedOut: 4,
} as const;

/** A failure the CLI explains in one line and exits with, instead of a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}
