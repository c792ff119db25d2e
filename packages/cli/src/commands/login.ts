import { createInterface } from "node:readline";
import { apiFor, explain } from "../api";
import { flagsOf } from "../args";
import { normalizeUrl, saveCredentials } from "../config";
import { CliError } from "../errors";
import { USAGE } from "../usage";
import type { Io } from "./io";

/** Reads the token from stdin: piped (a pipeline's secret), or pasted at a prompt. */
async function readToken(io: Io): Promise<string> {
  if (io.stdin.isTTY) io.err("Paste an API token (Settings > API tokens) and press Enter:");
  const lines = createInterface({ input: io.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  return "";
}

export async function login(args: string[], io: Io): Promise<number> {
  const { values } = flagsOf(args, { url: { type: "string" }, "token-stdin": { type: "boolean" } }, USAGE.login);
  const url = normalizeUrl(values.url ?? io.env.SOFTFLEET_URL ?? "");
  const token = io.env.SOFTFLEET_TOKEN && !values["token-stdin"] ? io.env.SOFTFLEET_TOKEN : await readToken(io);
  if (!token) throw new CliError(`no token given\nusage: ${USAGE.login}`);
  const me = await apiFor({ url, token })
    .auth.me.query()
    .catch((error) => {
      throw explain(error, url);
    });
  if (!me) throw new CliError(`${url} did not accept the token`);
  const path = saveCredentials({ url, token }, io.env);
  io.out(`logged in to ${url} as ${me.username} (${me.role}); credentials saved in ${path}`);
  return 0;
}
