import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ENROLL_PATH, enrollResponse } from "@softfleet/protocol";
import { z } from "zod";
import { readJsonIfExists, writeFileAtomic } from "./fsutil";
import { log } from "./log";

export const credentialSchema = z.object({ nodeId: z.string().min(1), credential: z.string().min(1) });
export type Credential = z.infer<typeof credentialSchema>;

export class EnrollmentError extends Error {
  constructor(
    message: string,
    /** false when retrying cannot help (a refused token, no token at all). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "EnrollmentError";
  }
}

export function credentialFile(stateDir: string): string {
  return join(stateDir, "credential.json");
}

export function loadCredential(stateDir: string): Credential | null {
  const json = readJsonIfExists(credentialFile(stateDir));
  if (json === null) return null;
  const parsed = credentialSchema.safeParse(json);
  if (!parsed.success) throw new EnrollmentError(`${credentialFile(stateDir)} is not a valid credential file`, false);
  return parsed.data;
}

/** The control plane's URL with `path` appended (keeping a path prefix such as /softfleet). */
export function controlEndpoint(controlUrl: string, path: string, protocol?: "ws"): string {
  const url = new URL(controlUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  if (protocol === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export interface EnrollInput {
  controlUrl: string;
  stateDir: string;
  token: string | undefined;
  machineId: string;
  hostname: string;
  fetch?: typeof fetch;
}

/**
 * The node's credential: the saved one, else a new one from enrollment
 * (POST /agent/v1/enroll with the one-time enrollment token), saved with
 * mode 0600 before it is used.
 */
export async function ensureCredential(input: EnrollInput): Promise<Credential> {
  const saved = loadCredential(input.stateDir);
  if (saved) return saved;
  if (!input.token) {
    throw new EnrollmentError("not enrolled: set enrollmentToken in the config (or SOFTFLEET_ENROLLMENT_TOKEN)", false);
  }
  const url = controlEndpoint(input.controlUrl, ENROLL_PATH);
  log.info("enrolling with the control plane", { url, machineId: input.machineId });
  let response: Response;
  try {
    response = await (input.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: input.token, machineId: input.machineId, hostname: input.hostname }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new EnrollmentError(`cannot reach ${url}: ${(error as Error).cause ?? (error as Error).message}`, true);
  }
  const text = await response.text();
  if (!response.ok) {
    const reason = safeErrorField(text) ?? `HTTP ${response.status}`;
    // 4xx: the token was refused, retrying with it will not help; 5xx may pass.
    throw new EnrollmentError(`enrollment refused (${response.status}): ${reason}`, response.status >= 500);
  }
  const parsed = enrollResponse.safeParse(safeJson(text));
  if (!parsed.success) throw new EnrollmentError("the enrollment answer is not {nodeId, credential}", true);
  mkdirSync(input.stateDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(credentialFile(input.stateDir), JSON.stringify(parsed.data), 0o600);
  log.info("enrolled", { nodeId: parsed.data.nodeId });
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function safeErrorField(text: string): string | null {
  const json = safeJson(text) as { error?: unknown } | null;
  return typeof json?.error === "string" ? json.error.slice(0, 300) : null;
}
