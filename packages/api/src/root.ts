import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { groupsRouter } from "./routers/groups";
import { nodesRouter } from "./routers/nodes";
import { usersRouter } from "./routers/users";
import { createCallerFactory, router } from "./trpc";

/** One router per domain. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  nodes: nodesRouter,
  groups: groupsRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
