import { describe, expect, it } from "vitest";
import { csvLine, safeFilename } from "./csv";

/** An RFC 4180 reader: what a spreadsheet or a script does with the export. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return rows;
}

const hostile = [
  "web-1\r\nevil,row,injected",
  '=HYPERLINK("http://evil.example","x")',
  "+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(A1:A9)",
  "\tleading-tab",
  'quote"inside',
  "plain-host",
];

describe("CSV exports", () => {
  it("keep hostile hostnames in their cell, one row each, and no cell starts a formula", () => {
    const text = hostile.map((hostname, i) => csvLine([`rec-${i}`, hostname, 1200, -5, null])).join("");
    const rows = parseCsv(text);
    expect(rows).toHaveLength(hostile.length);
    rows.forEach((row, i) => {
      expect(row).toHaveLength(5);
      expect(row[0]).toBe(`rec-${i}`);
      // The text is all there, behind an apostrophe where it would run as a formula.
      expect(row[1]!.replace(/^'/, "")).toBe(hostile[i]);
      expect(row[1]).not.toMatch(/^[=+\-@\t\r]/);
      // Numbers stay numbers (a negative one too).
      expect(row.slice(2)).toEqual(["1200", "-5", ""]);
    });
  });

  it("name downloads safely, whatever the hostname", () => {
    expect(safeFilename("reboots-web-1\r\nSet-Cookie: x=1")).toBe("reboots-web-1__Set-Cookie__x_1");
    expect(safeFilename("reboots-ok.example")).toBe("reboots-ok.example");
    expect(
      () => new Headers({ "content-disposition": `attachment; filename="${safeFilename("a\r\nb")}.csv"` }),
    ).not.toThrow();
  });
});
