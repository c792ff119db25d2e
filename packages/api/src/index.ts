import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root";

export { appRouter, createCaller, type AppRouter } from "./root";
export { type Context, createContext, type RequestMeta } from "./context";
export { audited, writeAudit } from "./audit";
export { createUser } from "./domain/users";
export type { FieldErrors } from "./trpc";
export * as schemas from "./schemas";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
