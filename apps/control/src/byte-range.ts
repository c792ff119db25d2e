/** One byte range of a file, both ends included (as Content-Range writes it). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What a `Range` header asks of a file of `size` bytes: one range
 * (`bytes=N-`, `bytes=N-M`, `bytes=-N` for the last N), "unsatisfiable" (416:
 * it starts past the end, or ends before it starts), or "whole" when there is
 * no header or one this server does not take (another unit, several ranges),
 * which RFC 9110 lets a server answer with the whole file.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | "whole" | "unsatisfiable" {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return "whole";
  const [, first = "", last = ""] = match;
  if (first === "") {
    const length = Number(last);
    return length === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size || (last !== "" && Number(last) < start)) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}
