export { provideDatabase, assertReachable, type ProvidedDatabase } from "./database";
export { ensureDemoAdmin, type DemoAdmin } from "./demo";
export { loadStackEnv, StackEnvError } from "./env";
export { startControl, startWeb, waitForHttp, type AppProcess } from "./processes";
export { defaultDataDir, startStack, type Stack, type StackOptions } from "./stack";
