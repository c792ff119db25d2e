export { assertReachable, type ProvidedDatabase, prepareProvidedDatabase, provideDatabase } from "./database";
export { type DemoAdmin, ensureDemoAdmin } from "./demo";
export { loadStackEnv, StackEnvError } from "./env";
export { type AppProcess, startControl, startWeb, waitForHttp } from "./processes";
export { defaultDataDir, type Stack, type StackOptions, startStack } from "./stack";
