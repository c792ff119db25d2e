/** For tests: the command runner and the pure parts (plan flags, progress lines). */

export { credentialsPath, normalizeUrl } from "./config";
export { EXIT } from "./errors";
export { planOf } from "./plan";
export { countsLine, downtimeLine, exitCodeOf, outcomeLines, phasesLine, transitionLine } from "./progress";
export { HELP, run } from "./run";
