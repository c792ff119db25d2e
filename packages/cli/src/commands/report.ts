import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { flagsOf, onePositional } from "../args";
import type { Credentials } from "../config";
import { CliError } from "../errors";
import { USAGE } from "../usage";
import type { Io } from "./io";

/**
 * A rollout's report rows, exactly as the dashboard's CSV and JSON links give
 * them (one row per node, with its phases): the same export, with the token.
 */
export async function reportRollout(credentials: Credentials, args: string[], io: Io): Promise<number> {
  const { values, positionals } = flagsOf(
    args,
    { format: { type: "string", default: "csv" }, output: { type: "string" } },
    USAGE["report rollout"],
  );
  const id = onePositional(positionals, "rollout id", USAGE["report rollout"]);
  if (values.format !== "csv" && values.format !== "json")
    throw new CliError(`--format: csv or json, not ${values.format}`);
  const url = `${credentials.url}/reports/rollouts/${encodeURIComponent(id)}/export?format=${values.format}`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${credentials.token}`, "user-agent": "softfleet-cli" },
    redirect: "manual",
    signal: AbortSignal.timeout(120_000),
  }).catch((error: Error & { cause?: { code?: string } }) => {
    throw new CliError(`cannot reach ${credentials.url}: ${error.cause?.code ?? error.message}`);
  });
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {}
    throw new CliError(
      `the report of rollout ${id} failed (HTTP ${response.status}): ${message || response.statusText}`,
    );
  }
  const body = Readable.fromWeb(response.body as never);
  if (values.output) {
    await pipeline(body, createWriteStream(values.output));
    io.err(`report of rollout ${id} written to ${values.output}`);
  } else {
    for await (const chunk of body) io.write(chunk as Uint8Array);
  }
  return 0;
}
