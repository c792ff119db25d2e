/**
 * @softfleet/launcher: starts the whole product on one machine, as `npm start`
 * does: the embedded PostgreSQL (or the server DATABASE_URL names), the
 * migrations and the app role's grants, the control and web processes, the
 * demo admin, and the simulated and lab fleets (`./lab`). Its commands are in
 * `cli/` (start, migrate). Tests reach it through @softfleet/testkit.
 */
export { assertReachable, type ProvidedDatabase, prepareProvidedDatabase, provideDatabase } from "./database";
export { type DemoAdmin, demoLoginLine, ensureDemoAdmin } from "./demo";
export { loadStackEnv, StackEnvError } from "./env";
export { type AppProcess, type ControlTls, probe, startControl, startWeb, waitForHttp } from "./processes";
export { defaultDataDir, type Stack, type StackOptions, startStack } from "./stack";
