/**
 * Unpacks an image tarball with the system's GNU tar, which detects gzip,
 * zstd or xz by itself when reading a file. Numeric owners, permissions and
 * extended attributes (SELinux labels, capabilities) are kept as in the image.
 */
import { isNoSpace, noSpace, StageError } from "./errors";
import { howItEnded, runProgram, stderrTail } from "./run";

export function tarArgs(file: string, dir: string): string[] {
  return ["-x", "-f", file, "-C", dir, "--numeric-owner", "--xattrs", "--xattrs-include=*", "-p"];
}

export async function unpackImage(file: string, dir: string, signal?: AbortSignal): Promise<void> {
  let result: Awaited<ReturnType<typeof runProgram>>;
  try {
    result = await runProgram("tar", tarArgs(file, dir), { signal });
  } catch (error) {
    if (error instanceof StageError) throw error;
    throw new StageError("unpack-failed", `cannot run tar: ${(error as Error).message} (is GNU tar installed?)`);
  }
  if (result.code === 0) return;
  if (isNoSpace(undefined, result.stderr)) throw noSpace("unpacking the image");
  throw new StageError(
    "unpack-failed",
    `tar could not unpack the image (${howItEnded(result)}): ${stderrTail(result.stderr)}`,
  );
}
