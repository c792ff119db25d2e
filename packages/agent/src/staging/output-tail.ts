/**
 * The last lines of a command's output, bounded in lines and in bytes so a
 * chatty command cannot grow the agent's memory; and a splitter that turns a
 * byte stream into lines, cutting a line that never ends.
 */
export class OutputTail {
  private lines: string[] = [];
  private size = 0;

  constructor(
    readonly maxLines = 20,
    readonly maxChars = 4096,
  ) {}

  push(line: string): void {
    const kept = line.length > this.maxChars ? line.slice(-this.maxChars) : line;
    this.lines.push(kept);
    this.size += kept.length + 1;
    while (this.lines.length > this.maxLines || this.size > this.maxChars + 1) {
      this.size -= this.lines.shift()!.length + 1;
    }
  }

  text(): string {
    return this.lines.join("\n");
  }
}

/** Calls onLine for each line of the text written to it; end() flushes the last, unterminated one. */
export class LineSplitter {
  private partial = "";

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars = 4096,
  ) {}

  write(text: string): void {
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop()!;
    for (const line of parts) this.onLine(line.replace(/\r$/, ""));
    if (this.partial.length > this.maxLineChars) {
      this.onLine(this.partial);
      this.partial = "";
    }
  }

  end(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = "";
  }
}
