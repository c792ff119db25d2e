/**
 * The one error type of staging: a code the server can act on and a message
 * that says what was wrong and, where it helps, what to do.
 */
export const stageErrorCodes = [
  "bad-input",
  "bad-version",
  "insecure-url",
  "download-failed",
  "truncated",
  "digest-mismatch",
  "no-space",
  "unpack-failed",
  "no-os-release",
  "wrong-version",
  "mount-failed",
  "timeout",
  "command-failed",
  "aborted",
  "not-soft-reboot-capable",
] as const;
export type StageErrorCode = (typeof stageErrorCodes)[number];

export class StageError extends Error {
  constructor(
    readonly code: StageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StageError";
  }
}

export function isStageError(error: unknown, code?: StageErrorCode): error is StageError {
  return error instanceof StageError && (code === undefined || error.code === code);
}

/** ENOSPC from a system call, or GNU tar/cp saying so on stderr. */
export function isNoSpace(error: unknown, stderr = ""): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOSPC" || /No space left on device/.test(stderr);
}

export function noSpace(where: string, cause?: unknown): StageError {
  return new StageError(
    "no-space",
    `no space left on the device while ${where}: free space under the images folder (remove old images) and stage again`,
    { cause },
  );
}

export function abortedError(): StageError {
  return new StageError("aborted", "staging was aborted");
}

/** Throws StageError "aborted" when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError();
}
