import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { LabError } from "./errors";
import type { AgentFiles } from "./layers";
import { AGENT_BUNDLE, AGENT_UNIT, REPO_ROOT } from "./layout";
import type { Progress } from "./progress";
import { run } from "./run";

const INSTALLED_BUNDLE = "/usr/lib/softfleet/softfleet-agent.mjs";

/** The real agent from packages/agent: its bundle (built when missing) and its systemd unit. */
export async function ensureAgentFiles(p: Progress): Promise<AgentFiles> {
  const bundle = relative(REPO_ROOT, AGENT_BUNDLE);
  if (!existsSync(AGENT_BUNDLE)) {
    p.say(`the agent bundle ${bundle} is missing: running npm run build -w @softfleet/agent`);
    const result = await run("npm", ["run", "build", "-w", "@softfleet/agent"], {
      cwd: REPO_ROOT,
      onLine: (line) => line.trim() && p.say(`agent build: ${line}`),
    });
    if (result.exitCode !== 0 || !existsSync(AGENT_BUNDLE)) {
      throw new LabError(
        "agent-missing",
        result.exitCode !== 0
          ? `the agent bundle ${bundle} is missing and \`npm run build -w @softfleet/agent\` failed (exit ${result.exitCode})`
          : `\`npm run build -w @softfleet/agent\` succeeded but did not write ${bundle}`,
        "fix the agent's build in packages/agent (the output above says why), then run `npm run lab -- build` again",
      );
    }
  }
  if (!existsSync(AGENT_UNIT)) {
    throw new LabError(
      "agent-missing",
      `the agent's systemd unit ${relative(REPO_ROOT, AGENT_UNIT)} is missing`,
      "the agent package must ship it (packages/agent/systemd/softfleet-agent.service); then run `npm run lab -- build` again",
    );
  }
  if (!readFileSync(AGENT_UNIT, "utf8").includes(INSTALLED_BUNDLE)) {
    p.say(
      `warning: ${relative(REPO_ROOT, AGENT_UNIT)} does not mention ${INSTALLED_BUNDLE}, where the lab installs the bundle`,
    );
  }
  return { bundle: AGENT_BUNDLE, unit: AGENT_UNIT };
}
