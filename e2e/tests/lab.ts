import { test } from "@playwright/test";
import { labUnavailable } from "@softfleet/launcher/lab";

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
