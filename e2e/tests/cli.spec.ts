import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { createPrismaClient, type Db } from "@softfleet/db";
import { repoRoot } from "@softfleet/db/paths";
import { wireFleetOnline } from "@softfleet/testkit/fleet-fixtures";
import { logIn } from "./helpers";

/**
 * The `softfleet` CLI against the real stack: a token made in Settings (in the
 * browser), then the CLI as a pipeline runs it: login, lists, a rollout of
 * wire-level agents followed with --wait, its report, a halting rollout's
 * exit code, and the token revoked.
 */
const CLI = join(repoRoot(), "packages/cli/bin/softfleet.mjs");

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function softfleet(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

let db: Db;
let configHome: string;
let fleet: Awaited<ReturnType<typeof wireFleetOnline>> | undefined;

test.beforeAll(async () => {
  db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  configHome = await mkdtemp(join(tmpdir(), "softfleet-cli-"));
});

test.afterAll(async () => {
  fleet?.pool.stop();
  if (fleet) {
    const nodeIds = fleet.specs.map((s) => s.nodeId);
    await db.rollout.deleteMany({ where: { groupId: fleet.group.id } });
    await db.nodeGroup.deleteMany({ where: { id: fleet.group.id } });
    await db.node.deleteMany({ where: { id: { in: nodeIds } } });
    await db.user.deleteMany({ where: { id: fleet.user.id } });
  }
  await db.$disconnect();
  await rm(configHome, { recursive: true, force: true });
});

test("a token from Settings drives a rollout from the CLI, which exits non-zero on a halt", async ({ page }) => {
  test.setTimeout(180_000);
  const env = { XDG_CONFIG_HOME: configHome };

  // The token, made in the browser and shown once.
  await logIn(page, "admin");
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Create API token" });
  await form.getByLabel("Name").fill("e2e pipeline");
  await form.getByLabel("Role").selectOption("operator");
  await form.getByRole("button", { name: "Create API token" }).click();
  const token = await page.getByLabel("API token", { exact: true }).inputValue();
  expect(token).toMatch(/^sfp_/);
  await page.getByRole("button", { name: "Done, I have copied it" }).click();
  const row = page.getByRole("table", { name: "Your API tokens" }).getByRole("row", { name: /e2e pipeline/ });
  await expect(row).toContainText("operator");
  await expect(page.getByText(token)).toHaveCount(0);

  // A plain-http address off loopback is refused before the token is sent anywhere.
  const offLoopback = await softfleet(["login", "--url", "http://softfleet.example:3000", "--token-stdin"], env, token);
  expect(offLoopback.code).toBe(1);
  expect(offLoopback.stderr).toContain("needs https://");

  const login = await softfleet(["login", "--url", process.env.E2E_BASE_URL!, "--token-stdin"], env, `${token}\n`);
  expect(login.stderr).toBe("");
  expect(login.stdout).toContain("as e2e-admin (operator)");
  expect(login.code).toBe(0);
  const saved = join(configHome, "softfleet", "credentials.json");
  expect((await stat(saved)).mode & 0o777).toBe(0o600);
  expect(JSON.parse(await readFile(saved, "utf8"))).toMatchObject({ token });

  // Where the lab can run, control speaks TLS with the lab's CA.
  const ca = process.env.E2E_CONTROL_CA ? await readFile(process.env.E2E_CONTROL_CA) : undefined;
  fleet = await wireFleetOnline(db, process.env.E2E_CONTROL_URL!, 4, `cli-${Date.now().toString(36)}`, {
    downtimeMs: { min: 300, max: 600 },
    ca,
  });
  const groupName = fleet.group.name;

  const groups = await softfleet(["groups", "list"], env);
  expect(groups.code).toBe(0);
  expect(groups.stdout).toMatch(new RegExp(`^${groupName}\\s+4\\s`, "m"));

  const nodes = await softfleet(["nodes", "list", "--group", groupName, "--json"], env);
  expect(nodes.code).toBe(0);
  const listed = JSON.parse(nodes.stdout) as Array<{ hostname: string; status: string; nextrootImageVersion: string }>;
  expect(listed.map((n) => n.hostname).sort()).toEqual(fleet.specs.map((s) => s.hostname).sort());
  expect(listed.every((n) => n.status === "online" && n.nextrootImageVersion === "2")).toBe(true);

  const shown = await softfleet(["nodes", "show", fleet.specs[0]!.hostname], env);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/status\s+online/);

  // A rollout followed to its end: batches, nodes and each node's phases, then exit 0.
  const wait = await softfleet(
    ["rollout", "start", "--group", groupName, "--image", "2", "--canary", "1", "--batch-size", "3"].concat([
      "--max-unavailable",
      "3",
      "--settle",
      "0",
      "--wait",
      "--timeout",
      "120",
    ]),
    env,
  );
  console.log(`softfleet rollout start --wait:\n${wait.stdout}${wait.stderr}`);
  expect(wait.stderr).toBe("");
  expect(wait.code).toBe(0);
  const rolloutId = /^rollout (\S+): group "/m.exec(wait.stdout)?.[1];
  expect(rolloutId).toBeTruthy();
  expect(wait.stdout).toContain(`group "${groupName}" to image 2, 4 nodes in 2 batches`);
  expect(wait.stdout).toMatch(/canary: \w+ -> running/);
  for (const spec of fleet.specs) {
    expect(wait.stdout).toMatch(new RegExp(`${spec.hostname}: down [\\d,]+ ms \\(signal->shutdown`));
  }
  expect(wait.stdout).toMatch(/downtime of 4 soft-reboots: p50 [\d,]+ ms/);
  expect(wait.stdout).toContain("4/4 succeeded");
  expect(wait.stdout).toContain(`rollout ${rolloutId} completed`);

  const csv = await softfleet(["report", "rollout", rolloutId!, "--format", "csv"], env);
  expect(csv.code).toBe(0);
  const lines = csv.stdout.trim().split("\n");
  expect(lines[0]).toMatch(/^rolloutId,batchIndex,position,nodeId,hostname,/);
  expect(lines).toHaveLength(5);
  const report = JSON.parse((await softfleet(["report", "rollout", rolloutId!, "--format", "json"], env)).stdout);
  expect(report).toHaveLength(4);

  // Version 3 is staged nowhere: the canary fails, the rollout halts, and the CLI exits 2.
  const halting = await softfleet(
    ["rollout", "start", "--group", groupName, "--image", "3", "--settle", "0", "--wait", "--timeout", "120"],
    env,
  );
  console.log(`softfleet rollout start --wait (halting):\n${halting.stdout}${halting.stderr}`);
  expect(halting.code).toBe(2);
  expect(halting.stdout).toMatch(/HALTED/);
  const haltedId = /^rollout (\S+): group "/m.exec(halting.stdout)?.[1];
  const aborted = await softfleet(["rollout", "abort", haltedId!], env);
  expect(aborted.stdout).toContain("halted -> aborted");
  expect(aborted.code).toBe(0);
  const watch = await softfleet(["rollout", "watch", haltedId!], env);
  expect(watch.code).toBe(3);

  // Changes made with the token are audited as its user, via the token.
  const audit = await db.auditEntry.findFirstOrThrow({ where: { action: "rollout.aborted", targetId: haltedId } });
  expect(audit).toMatchObject({ actorName: "e2e-admin", via: "token e2e pipeline" });

  // Bad input: an unknown group is named as such.
  const unknown = await softfleet(["rollout", "start", "--group", "no-such-group", "--image", "2"], env);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no node group is named "no-such-group"');

  // Revoked in Settings: the CLI is refused, and says why.
  await page.reload();
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  const refused = await softfleet(["nodes", "list"], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/API token "e2e pipeline" was revoked on/);
});
