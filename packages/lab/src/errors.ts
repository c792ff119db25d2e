export type LabErrorCode =
  | "prerequisites"
  | "bad-input"
  | "not-built"
  | "agent-missing"
  | "debootstrap-failed"
  | "busy"
  | "unknown-node"
  | "node-not-running"
  | "node-failed"
  | "stage-failed"
  | "command-failed";

/** The lab's one error type: what went wrong, and what the user can do about it. */
export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    /** What to do next, in a sentence or a command. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = "LabError";
  }
}
