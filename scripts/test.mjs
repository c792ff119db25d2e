// npm test: installs and builds what is missing, runs every suite, and ends
// with one line summing them all: "N passed, N failed, N skipped".
//
//   npm test                      unit + integration (vitest) and end-to-end (Playwright)
//   npm test -- --suite vitest    only unit + integration
//   npm test -- --suite e2e       only the browser tests
// DATABASE_URL set: integration and end-to-end tests use that server (in
// databases of their own) instead of an embedded PostgreSQL.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkNode, ensureBuilt, ensureDependencies, root, say } from "./bootstrap.mjs";

const { values } = parseArgs({ options: { suite: { type: "string", multiple: true } } });
const wanted = new Set(values.suite ?? ["vitest", "e2e"]);
for (const suite of wanted) {
  if (!["vitest", "e2e"].includes(suite)) {
    say(`unknown suite "${suite}": choose vitest or e2e`);
    process.exit(2);
  }
}

checkNode();
ensureDependencies();
ensureBuilt();

const reports = mkdtempSync(join(tmpdir(), "softfleet-test-reports-"));
const results = [];

function runSuite(name, command, args, options, readCounts) {
  say(`running the ${name} suite…`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: "inherit", ...options, env: { ...process.env, ...options.env } });
  let counts;
  try {
    counts = readCounts();
  } catch (error) {
    counts = { passed: 0, failed: 0, skipped: 0 };
    say(`${name}: no report was written (${error.message})`);
  }
  // A runner that failed without reporting a failed test (a crash in setup) counts as one failure.
  if (result.status !== 0 && counts.failed === 0) {
    say(`${name}: the runner exited with ${result.status ?? result.signal} before reporting a failed test`);
    counts.failed = 1;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  say(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${seconds} s)`);
  results.push({ name, ...counts });
}

// The lab's files (*.lab.test.ts) boot real systemd nodes, each busy for a
// while after it starts. They run after the rest, on their own: sharing two
// cores with them made timing-bound tests of the rest (hundreds of simulated
// nodes, a rollout of 220) miss their deadlines. And one file at a time: four
// files' nodes at once (ten or more nodes, each with Podman and five Node.js
// payloads) drove two slower cores to a load average of 30, where a survivor
// answered a probe only after a second and Prisma's transactions timed out.
const LAB_FILES = "**/*.lab.test.ts";

function vitestSuite(name, file, filterArgs) {
  const output = join(reports, file);
  runSuite(
    name,
    process.execPath,
    [
      join(root, "node_modules/vitest/vitest.mjs"),
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${output}`,
      ...filterArgs,
    ],
    { cwd: root },
    () => {
      const report = JSON.parse(readFileSync(output, "utf8"));
      // Test files that failed to load hold no tests but are failures all the same.
      const brokenFiles = report.testResults.filter(
        (file) => file.status === "failed" && file.assertionResults.length === 0,
      ).length;
      return {
        passed: report.numPassedTests,
        failed: report.numFailedTests + brokenFiles,
        skipped: report.numPendingTests + report.numTodoTests,
      };
    },
  );
}

if (wanted.has("vitest")) {
  vitestSuite("unit + integration", "vitest.json", [`--exclude=${LAB_FILES}`]);
  vitestSuite("lab (real systemd nodes)", "vitest-lab.json", ["--no-file-parallelism", ".lab.test.ts"]);
}

if (wanted.has("e2e")) {
  const output = join(reports, "e2e.json");
  const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path));
  if (!chromium)
    say("no Debian chromium found (apt-get install -y chromium); Playwright will look for its own browser");
  runSuite(
    "end-to-end (Playwright, Chromium)",
    process.execPath,
    [join(root, "node_modules/@playwright/test/cli.js"), "test"],
    { cwd: join(root, "e2e"), env: { E2E_JSON_REPORT: output } },
    () => {
      const { stats } = JSON.parse(readFileSync(output, "utf8"));
      return { passed: stats.expected + stats.flaky, failed: stats.unexpected, skipped: stats.skipped };
    },
  );
}

rmSync(reports, { recursive: true, force: true });
const total = results.reduce(
  (sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed, skipped: sum.skipped + r.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
