import type { Role } from "@softfleet/db";
import { RolloutPlanError } from "@softfleet/fleet";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { hasRole } from "./auth/roles";
import type { Context } from "./context";

/** Field path -> messages, for forms to show next to their inputs. */
export type FieldErrors = Record<string, string[]>;

function fieldErrorsOf(error: ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.length ? issue.path.join(".") : "(input)";
    fields[path] = [...(fields[path] ?? []), issue.message];
  }
  return fields;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Keeps live views' Server-Sent Events connections alive through proxies.
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
  errorFormatter({ shape, error }) {
    if (error.cause instanceof RolloutPlanError) {
      const fieldErrors: FieldErrors = {};
      for (const issue of error.cause.issues)
        fieldErrors[issue.field] = [...(fieldErrors[issue.field] ?? []), issue.message];
      return { ...shape, data: { ...shape.data, fieldErrors } };
    }
    if (!(error.cause instanceof ZodError)) return { ...shape, data: { ...shape.data, fieldErrors: null } };
    const fieldErrors = fieldErrorsOf(error.cause);
    const message = Object.entries(fieldErrors)
      .map(([field, messages]) => `${field}: ${messages.join(", ")}`)
      .join("; ");
    return { ...shape, message: `Invalid input: ${message}`, data: { ...shape.data, fieldErrors } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure;

/**
 * Calls that verify a password: one per request. A batch would fit dozens of
 * password guesses (each an argon2 verify) in one request, past the throttle.
 */
export const loneProcedure = t.procedure.use(({ ctx, path, next }) => {
  if ((ctx.meta.batchSize ?? 1) > 1) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `${path} must be called alone, not in a batch` });
  }
  return next();
});

const authenticated = t.middleware(({ ctx, next }) => {
  if (!ctx.session) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: ctx.authRefusal ?? "Log in first: this needs a signed-in user",
    });
  }
  return next({ ctx: { ...ctx, session: ctx.session } });
});

function requireRole(role: Role) {
  return authenticated.unstable_pipe(({ ctx, next }) => {
    if (!hasRole(ctx.session.user.role, role)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${role} role; you are signed in as a ${ctx.session.user.role}`,
      });
    }
    return next({ ctx });
  });
}

/**
 * Calls that make credentials (a password, an API token) or end a browser
 * login need that login: a token could otherwise mint longer-lived tokens.
 */
const browserLogin = authenticated.unstable_pipe(({ ctx, next }) => {
  if (ctx.session.token) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `An API token cannot create tokens, change a password or log out (this request used "${ctx.session.token.name}"); use the dashboard`,
    });
  }
  return next({ ctx });
});

/** Any signed-in user: reads, and changes to one's own session and password. */
export const viewerProcedure = t.procedure.use(authenticated);
/** A signed-in user's call that verifies their password: one per request, never through an API token. */
export const loneViewerProcedure = loneProcedure.use(browserLogin);
/** Creating API tokens, logging out: through the browser login only. */
export const browserLoginProcedure = t.procedure.use(browserLogin);
/** Triggers reboots and rollouts; manages node groups. */
export const operatorProcedure = t.procedure.use(requireRole("operator"));
/** Manages users and node enrollment. */
export const adminProcedure = t.procedure.use(requireRole("admin"));

export type AuthedContext = Context & { session: NonNullable<Context["session"]> };
