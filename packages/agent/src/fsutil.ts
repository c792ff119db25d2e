import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file so that after a crash or power loss it holds either the old
 * or the new content: write a temporary file, fsync it, rename it over the
 * target, fsync the directory. Temporary names start with "." and end in
 * ".tmp" so that readers skip them. With `durable: false` the fsyncs are left
 * out: the rename is still atomic, but the new content may be lost on power
 * loss (a clean shutdown or reboot syncs the file systems anyway).
 */
export function writeFileAtomic(path: string, content: string, mode = 0o644, { durable = true } = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, content);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    unlinkSync(tmp);
    throw error;
  }
  if (durable) fsyncDirectory(dirname(path));
}

export function fsyncDirectory(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function isTemporaryName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}

/** The parsed JSON of a file, or null when it does not exist. Other errors throw. */
export function readJsonIfExists(path: string): unknown | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  return JSON.parse(text);
}
