/** Where a command reads and writes: the process's streams, or a test's. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Raw bytes to stdout (a CSV report). */
  write: (chunk: string | Uint8Array) => void;
  stdin: NodeJS.ReadStream | (NodeJS.ReadableStream & { isTTY?: boolean });
  env: NodeJS.ProcessEnv;
}
