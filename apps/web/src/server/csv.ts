/** One CSV cell's value: what report rows hold. */
export type Cell = string | number | boolean | Date | null | undefined;

/**
 * A cell as RFC 4180 writes it, made safe to open in a spreadsheet: text that
 * a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) gets a leading apostrophe, and any cell with a quote, a
 * comma or a line break is quoted. A hostname is the agent's to choose.
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return value instanceof Date ? value.toISOString() : String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(text) || text !== value ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: Cell[]) => `${cells.map(csvCell).join(",")}\r\n`;

/** A download's file name from data (a hostname): letters, digits, '.', '_' and '-' only, at most 100. */
export function safeFilename(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100) || "export";
}
