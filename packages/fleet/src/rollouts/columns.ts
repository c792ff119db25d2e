/**
 * How one engine step's rows travel to Postgres in the single JSON
 * parameter of its write statement (persist.ts): tables as columns, and
 * transitions as runs.
 */

/**
 * Rows as columns, one JSON array each, zipped back into rows by ROWS FROM
 * in WRITE_SQL: a step of 1,000 nodes sends each key once, not 1,000 times
 * (Postgres parses the statement's JSON whole, so its size is its cost).
 */
export type Columns<Row> = { [K in keyof Row]: Array<Row[K]> };

export function columns<Row extends object>(rows: readonly Row[], keys: ReadonlyArray<keyof Row>): Columns<Row> {
  return Object.fromEntries(keys.map((key) => [key, rows.map((row) => row[key])])) as Columns<Row>;
}

export interface TransitionRun {
  at: string;
  machine: string;
  from: string;
  to: string;
  reason: string;
  actor: "user" | "engine";
  userId: string | null;
  actorName: string;
  subjects: string[];
  names: string[];
}

/** Consecutive transitions that differ only in their subject, as runs (their order kept). */
export function transitionRuns(
  rows: ReadonlyArray<Omit<TransitionRun, "subjects" | "names"> & { subject: string; name: string }>,
) {
  const runs: TransitionRun[] = [];
  for (const { subject, name, ...alike } of rows) {
    const last = runs.at(-1);
    const same =
      last &&
      last.at === alike.at &&
      last.machine === alike.machine &&
      last.from === alike.from &&
      last.to === alike.to &&
      last.reason === alike.reason &&
      last.actor === alike.actor &&
      last.userId === alike.userId &&
      last.actorName === alike.actorName;
    if (same) {
      last.subjects.push(subject);
      last.names.push(name);
    } else runs.push({ ...alike, subjects: [subject], names: [name] });
  }
  return runs;
}

/** The rows of a table given as columns (see Columns): its JSON arrays zipped by ROWS FROM. */
export function zipped(table: string, keys: readonly string[], jsonKeys: readonly string[] = []) {
  const column = (key: string) =>
    `${jsonKeys.includes(key) ? "jsonb_array_elements" : "jsonb_array_elements_text"}(input.j->'${table}'->'${key}')`;
  return `ROWS FROM (${keys.map(column).join(", ")})`;
}

export const quotedNames = (keys: readonly string[]) => keys.map((key) => `"${key}"`).join(", ");
