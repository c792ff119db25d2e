import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root";

export { audited, writeAudit } from "./audit";
export { type Context, createContext, type RequestMeta } from "./context";
export { assertPasswordAccount } from "./domain/sso-users";
export { createUser, setUserRole } from "./domain/users";
export { MAX_BATCH_SIZE } from "./limits";
export { ChangeFeed, processChangeFeed } from "./live/feed";
export { type AppRouter, appRouter, createCaller } from "./root";
export * as schemas from "./schemas";
export type { FieldErrors } from "./trpc";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
