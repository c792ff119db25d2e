export { type AgentOptions, type RunningAgent, startAgent } from "./agent";
export { type AgentConfig, agentConfigSchema, ConfigError, loadConfig } from "./config";
export { assessRestart, buildRebootRecord, unitContinuity } from "./record";
export type { ShutdownReport } from "./shutdown";
