import { z } from "zod";

/**
 * The FleetLock protocol (coreos/zincati docs, "FleetLock protocol"): a client
 * POSTs `{base}/v1/pre-reboot` to take a reboot slot and `{base}/v1/steady-state`
 * to give it back, with `fleet-lock-protocol: true` and a JSON body
 * `{"client_params": {"id", "group"}}`. 200 is success; anything else is an
 * error with a JSON body `{kind, value}`, `kind` from a small fixed set.
 */
export const FLEETLOCK_OPERATIONS = ["pre-reboot", "steady-state"] as const;
export type FleetLockOperation = (typeof FLEETLOCK_OPERATIONS)[number];

/** The spec's rule for a group's name; softfleet's lock group names follow it too. */
export const LOCK_GROUP_PATTERN = /^[a-zA-Z0-9.-]+$/;

/** A request body's bound: a real one is under 200 bytes. */
export const FLEETLOCK_MAX_BODY_BYTES = 4 * 1024;

export const fleetLockRequest = z.object({
  client_params: z.object(
    {
      id: z
        .string({ error: "must be a string" })
        .min(1, "must not be empty")
        .max(256, "must be at most 256 characters"),
      group: z
        .string({ error: "must be a string" })
        .min(1, "must not be empty")
        .max(64, "must be at most 64 characters")
        .regex(LOCK_GROUP_PATTERN, "must match ^[a-zA-Z0-9.-]+$"),
    },
    { error: "must be an object with id and group" },
  ),
});
export type FleetLockRequest = z.infer<typeof fleetLockRequest>;

/** Every `kind` an answer may carry (the spec asks for a bounded set), with its HTTP status. */
export const FLEETLOCK_ERROR_STATUS = {
  method_not_allowed: 405,
  not_found: 404,
  missing_protocol_header: 400,
  body_too_large: 413,
  invalid_body: 400,
  unauthorized: 401,
  unknown_group: 404,
  failed_lock_semaphore_full: 409,
  rate_limited: 429,
  request_timeout: 408,
  internal_error: 500,
  unavailable: 503,
} as const;
export type FleetLockErrorKind = keyof typeof FLEETLOCK_ERROR_STATUS;

export class FleetLockError extends Error {
  constructor(
    readonly kind: FleetLockErrorKind,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return FLEETLOCK_ERROR_STATUS[this.kind];
  }

  /** The protocol's error body. */
  get body(): { kind: FleetLockErrorKind; value: string } {
    return { kind: this.kind, value: this.message };
  }
}

/** The body's problems as one readable line: where and what. */
export function parseFleetLockRequest(text: string): FleetLockRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FleetLockError("invalid_body", 'the body is not JSON: send {"client_params":{"id":...,"group":...}}');
  }
  const parsed = fleetLockRequest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    throw new FleetLockError("invalid_body", issues.join("; "));
  }
  return parsed.data;
}
