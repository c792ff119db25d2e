import { mkdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { ENROLL_PATH, enrollResponse } from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";
import { readJsonIfExists, writeFileAtomic } from "./fsutil";
import { log } from "./log";
import { checkTransport, type TrustConfig, tlsOptions } from "./trust";

export const credentialSchema = z.object({
  nodeId: z.string().check(z.minLength(1)),
  credential: z.string().check(z.minLength(1)),
});
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
  trust?: TrustConfig;
  stateDir: string;
  token: string | undefined;
  machineId: string;
  hostname: string;
}

/**
 * One JSON POST with node:http(s). Not fetch: Node's fetch (undici) parses
 * HTTP with WebAssembly, which the agent's lite-mode V8 leaves out to save
 * memory, and it would load a second HTTP stack beside the one ws uses.
 */
export function postJson(
  url: string,
  body: unknown,
  timeoutMs: number,
  trust: TrustConfig = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const payload = JSON.stringify(body);
  const secure = url.startsWith("https:");
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // Thrown here, it rejects: nothing is sent in clear off loopback.
    checkTransport(url, trust);
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        timeout: timeoutMs,
        ...(secure ? tlsOptions(trust) : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
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
  log.info("enrolling with the control plane", { url: enrollUrl(input), machineId: input.machineId });
  const credential = await requestCredential(input, { token: input.token }, {});
  log.info("enrolled", { nodeId: credential.nodeId });
  return credential;
}

/**
 * Replaces the node's credential: enrolls with the current one (no token
 * needed), saves the new one, and from then on the old one is refused; a
 * connection made with it is closed, and the running agent reconnects with
 * the new one (it reads the file before each connection).
 */
export async function rotateCredential(input: Omit<EnrollInput, "token">): Promise<Credential> {
  const saved = loadCredential(input.stateDir);
  if (!saved) {
    throw new EnrollmentError(
      `not enrolled: ${credentialFile(input.stateDir)} is missing, so there is nothing to rotate`,
      false,
    );
  }
  log.info("replacing the node's credential", { url: enrollUrl(input), nodeId: saved.nodeId });
  const credential = await requestCredential(input, {}, { authorization: `Bearer ${saved.credential}` });
  log.info("credential replaced", { nodeId: credential.nodeId });
  return credential;
}

function enrollUrl(input: Pick<EnrollInput, "controlUrl">): string {
  return controlEndpoint(input.controlUrl, ENROLL_PATH);
}

/** One enrollment request; the credential it returns is saved (mode 0600, atomically) before it is returned. */
async function requestCredential(
  input: Omit<EnrollInput, "token">,
  proof: { token?: string },
  headers: Record<string, string>,
): Promise<Credential> {
  const url = enrollUrl(input);
  try {
    checkTransport(url, input.trust ?? {});
  } catch (error) {
    // Not retryable: the configuration must change.
    throw new EnrollmentError((error as Error).message, false);
  }
  let response: { status: number; text: string };
  try {
    response = await postJson(
      url,
      { ...proof, machineId: input.machineId, hostname: input.hostname },
      10_000,
      input.trust,
      headers,
    );
  } catch (error) {
    throw new EnrollmentError(`cannot reach ${url}: ${(error as Error).message}`, true);
  }
  const { status, text } = response;
  if (status < 200 || status > 299) {
    const reason = safeErrorField(text) ?? `HTTP ${status}`;
    // 4xx: the token or credential was refused, retrying with it will not help; 5xx may pass.
    throw new EnrollmentError(`enrollment refused (${status}): ${reason}`, status >= 500);
  }
  const parsed = enrollResponse.safeParse(safeJson(text));
  if (!parsed.success) throw new EnrollmentError("the enrollment answer is not {nodeId, credential}", true);
  mkdirSync(input.stateDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(credentialFile(input.stateDir), JSON.stringify(parsed.data), 0o600);
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
