import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { enrollmentRouter } from "./routers/enrollment";
import { groupsRouter } from "./routers/groups";
import { liveRouter } from "./routers/live";
import { nodesRouter } from "./routers/nodes";
import { reportsRouter } from "./routers/reports";
import { rolloutsRouter } from "./routers/rollouts";
import { usersRouter } from "./routers/users";
import { webhooksRouter } from "./routers/webhooks";
import { createCallerFactory, router } from "./trpc";

/** One router per domain. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  nodes: nodesRouter,
  groups: groupsRouter,
  rollouts: rolloutsRouter,
  reports: reportsRouter,
  audit: auditRouter,
  enrollment: enrollmentRouter,
  live: liveRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
