/**
 * One line per entry on stderr: `<level> <message> key=value ...`. journald
 * adds the time and the unit, so the line carries neither. Callers pass only
 * what is safe to print: never the credential or the enrollment token.
 */
export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, string | number | boolean | bigint | null | undefined>;

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: Level = (process.env.SOFTFLEET_LOG_LEVEL as Level | undefined) ?? "info";
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export function setLogLevel(level: Level) {
  threshold = level;
}

/** Replaces where lines go (tests capture them). Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function formatValue(value: Fields[string]): string {
  const text = String(value);
  return /^[\w.:/@+-]+$/.test(text) ? text : JSON.stringify(text);
}

export function formatLine(level: Level, message: string, fields: Fields = {}): string {
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  // A message never spans lines: a stray newline would split a journal entry.
  return [level, message.replace(/\s*\n\s*/g, " "), ...pairs].join(" ");
}

function write(level: Level, message: string, fields?: Fields) {
  if (order[level] < (order[threshold] ?? order.info)) return;
  sink(formatLine(level, message, fields));
}

export const log = {
  debug: (message: string, fields?: Fields) => write("debug", message, fields),
  info: (message: string, fields?: Fields) => write("info", message, fields),
  warn: (message: string, fields?: Fields) => write("warn", message, fields),
  error: (message: string, fields?: Fields) => write("error", message, fields),
};

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
