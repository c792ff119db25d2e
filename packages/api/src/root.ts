import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { enrollmentRouter } from "./routers/enrollment";
import { fleetLockRouter } from "./routers/fleetlock";
import { groupsRouter } from "./routers/groups";
import { liveRouter } from "./routers/live";
import { nodesRouter } from "./routers/nodes";
import { reportsRouter } from "./routers/reports";
import { rolloutsRouter } from "./routers/rollouts";
import { tokensRouter } from "./routers/tokens";
import { usersRouter } from "./routers/users";
import { webhooksRouter } from "./routers/webhooks";
import { createCallerFactory, router } from "./trpc";

/** One router per domain. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  nodes: nodesRouter,
  groups: groupsRouter,
  rollouts: rolloutsRouter,
  reports: reportsRouter,
  audit: auditRouter,
  enrollment: enrollmentRouter,
  live: liveRouter,
  fleetLock: fleetLockRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
