import { test } from "@playwright/test";
import { labUnavailable } from "@softfleet/stack/lab";

/**
 * Lab suites need real systemd nodes (Linux, root, debootstrap,
 * systemd-nspawn). Where those are missing they are skipped with the reason,
 * except when SOFTFLEET_LAB_REQUIRED=1 (CI), where that is a failure.
 */
export async function requireLab() {
  const missing = await labUnavailable();
  if (!missing) return;
  if (process.env.SOFTFLEET_LAB_REQUIRED === "1")
    throw new Error(`the lab is required here but cannot run: ${missing}`);
  test.skip(true, `lab skipped: ${missing}`);
}

/** Reads systemd's own Manager timestamps inside a node, independently of the agent. */
export function parseBusctlProperties(stdout: string): bigint[] {
  return stdout
    .trim()
    .split("\n")
    .map((line) => {
      const match = /^t (\d+)$/.exec(line.trim());
      if (!match) throw new Error(`unexpected busctl output: ${line}`);
      return BigInt(match[1]!);
    });
}
