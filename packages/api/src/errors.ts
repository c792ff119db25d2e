import { TRPCError } from "@trpc/server";

/** The ways a softfleet request can fail, each mapped to one tRPC/HTTP code. */
export type AppErrorCode = "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST" | "FORBIDDEN" | "UNAUTHORIZED";

export class AppError extends TRPCError {
  constructor(code: AppErrorCode, message: string) {
    super({ code, message });
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} does not exist`);
export const conflict = (message: string) => new AppError("CONFLICT", message);
export const badRequest = (message: string) => new AppError("BAD_REQUEST", message);
export const forbidden = (message: string) => new AppError("FORBIDDEN", message);

/** Prisma's unique-constraint violation, for turning into a readable CONFLICT. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}
