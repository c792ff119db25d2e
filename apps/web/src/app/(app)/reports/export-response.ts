import { createCaller } from "@softfleet/api";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { contextFromHeaders } from "~/server/context";
import { type Cell, csvLine, safeFilename } from "~/server/csv";

/** A row of a report. */
export type ExportRow = object;

/** The first columns of a reboot's row (fleet and node exports): the record, its node, type and trigger. */
export const REBOOT_COLUMNS = [
  "recordId",
  "recordedAt",
  "nodeId",
  "hostname",
  "simulated",
  "rebootType",
  "kind",
  "requested",
  "escalated",
  "beforeLost",
  "trigger",
  "commandId",
] as const;

/** The last columns of every report's rows: the images, a reboot's phases, its total, and why it has none. */
export const PHASE_COLUMNS = [
  "imageVersionBefore",
  "imageVersionAfter",
  "signalToShutdownMs",
  "shutdownMs",
  "bootMs",
  "reconnectMs",
  "totalMs",
  "missingTotal",
] as const;

/**
 * The CSV columns of a report's rows: every key of Row, in the order given. A
 * list that misses a key does not compile (its type is then not a string[]).
 * The header is written even when there is no row.
 */
export function columnsOf<Row>() {
  return <const K extends ReadonlyArray<keyof Row & string>>(
    ...keys: K
  ): [Exclude<keyof Row, K[number]>] extends [never] ? K : { missingColumns: Exclude<keyof Row, K[number]> } =>
    keys as never;
}

/** The reports API as the signed-in user of the request (a viewer is enough). */
export async function reportsFor(request: Request) {
  return createCaller(await contextFromHeaders(request.headers)).reports;
}

export type ExportFormat = "csv" | "json";
export function formatOf(request: Request): ExportFormat {
  return new URL(request.url).searchParams.get("format") === "json" ? "json" : "csv";
}

/**
 * Rows (pages of them, for large reports) as one CSV or JSON download; the
 * CSV has `columns` (columnsOf), its header first even without rows.
 */
export function exportResponse(
  format: ExportFormat,
  filename: string,
  columns: readonly string[],
  pages: AsyncIterable<ExportRow[]>,
): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let first = true;
      controller.enqueue(encoder.encode(format === "json" ? "[" : csvLine([...columns])));
      for await (const rows of pages) {
        for (const row of rows) {
          if (format === "json") {
            controller.enqueue(encoder.encode(`${first ? "" : ","}\n${JSON.stringify(row)}`));
          } else {
            controller.enqueue(encoder.encode(csvLine(columns.map((column) => (row as Record<string, Cell>)[column]))));
          }
          first = false;
        }
      }
      if (format === "json") controller.enqueue(encoder.encode("\n]\n"));
      controller.close();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": format === "json" ? "application/json; charset=utf-8" : "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${safeFilename(filename)}.${format}"`,
      "cache-control": "no-store",
    },
  });
}

/** A failed read (not signed in, unknown id, bad range) as a plain-text answer with its HTTP status. */
export function exportError(error: unknown): Response {
  if (error instanceof TRPCError) {
    return new Response(`${error.message}\n`, {
      status: getHTTPStatusCodeFromError(error),
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  throw error;
}

export async function* once<T extends ExportRow>(rows: T[]) {
  yield rows;
}
