import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";
import {
  csvNumber,
  insertReboots,
  insertRolloutOf,
  ms,
  parseCsv,
  phasesOf,
  type RebootSpec,
  removeInsertedReports,
  typeOf,
} from "./report-fixtures";

test.use({ locale: "en-US" });
test.afterEach(removeInsertedReports);

const TYPE_LABELS = { "soft-reboot": "Soft-reboot", "full-reboot": "Full reboot", kexec: "kexec" };
const TRIGGER_LABELS = { rollout: "Rollout", manual: "Manual", external: "External" };
const PHASES = ["signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs"] as const;

/** What the history shows for a phase or a total it does not have. */
function unknownPhase(spec: RebootSpec, phase: (typeof PHASES)[number]) {
  const type = typeOf(spec);
  if (type !== "soft-reboot" && (phase === "signalToShutdownMs" || phase === "shutdownMs"))
    return `unknown (${type === "kexec" ? "kexec" : "full reboot"})`;
  return "unknown";
}

test("a node's history lists every reboot, newest first, with its type, trigger and phases, and exports them", async ({
  page,
}) => {
  const suffix = uniqueSuffix();
  const host = `e2e-history-${suffix}`;
  const commandId = `e2e-cmd-${randomBytes(6).toString("hex")}`;
  const day = Date.now() - 3 * 86_400_000;
  const at = (minutes: number) => new Date(day + minutes * 60_000);
  // Oldest first here; the page shows them newest first.
  const reboots: RebootSpec[] = [
    {
      node: "n",
      kind: "soft-reboot",
      requested: "soft-reboot",
      trigger: "rollout",
      commandId,
      at: at(0),
      imageBefore: "e2e-1",
      imageAfter: "e2e-2",
      points: {
        signal: 1_000_000,
        shutdownStart: 1_031_250,
        userspace: 1_540_000,
        finish: 2_400_000,
        agent: 2_612_345,
      },
    },
    {
      node: "n",
      kind: "full-reboot",
      requested: "reboot",
      trigger: "manual",
      at: at(10),
      imageBefore: "e2e-2",
      imageAfter: "e2e-2",
      points: { signal: null, shutdownStart: null, userspace: 3_000_000, finish: 9_100_000, agent: 9_400_250 },
    },
    {
      node: "n",
      kind: "full-reboot",
      requested: "kexec",
      trigger: "external",
      at: at(20),
      imageBefore: "e2e-2",
      imageAfter: "e2e-3",
      points: { signal: null, shutdownStart: null, userspace: 1_500_000, finish: 3_000_000, agent: 3_210_987 },
    },
    {
      node: "n",
      kind: "soft-reboot",
      requested: "soft-reboot",
      beforeLost: true,
      trigger: "external",
      at: at(30),
      imageBefore: "e2e-3",
      imageAfter: "e2e-3",
      points: { signal: null, shutdownStart: null, userspace: 900_000, finish: 1_800_000, agent: 2_000_000 },
    },
    {
      node: "n",
      kind: "full-reboot",
      requested: "soft-reboot",
      escalated: true,
      trigger: "manual",
      at: at(40),
      imageBefore: "e2e-3",
      imageAfter: "e2e-3",
      points: { signal: null, shutdownStart: null, userspace: 2_500_000, finish: 8_000_000, agent: 8_123_456 },
    },
    // Another node's reboot, which is not this node's history.
    {
      node: "other",
      kind: "soft-reboot",
      requested: "soft-reboot",
      trigger: "manual",
      at: at(35),
      imageBefore: "e2e-3",
      imageAfter: "e2e-3",
      points: {
        signal: 4_000_000,
        shutdownStart: 4_030_000,
        userspace: 4_800_000,
        finish: 6_900_000,
        agent: 7_333_789,
      },
    },
  ];
  const { nodeIds, recordIds } = await insertReboots({
    nodes: { n: host, other: `${host}-other` },
    reboots,
  });
  const rolloutGroup = `e2e history ${suffix}`;
  const rolloutId = await insertRolloutOf(rolloutGroup, nodeIds.n!, host, commandId);
  const mine = reboots
    .map((spec, index) => ({ spec, recordId: recordIds[index]! }))
    .filter(({ spec }) => spec.node === "n")
    .reverse();

  await logIn(page, "viewer");
  await page.goto(`/reports/nodes/${nodeIds.n}`);
  await expect(page.getByRole("heading", { name: `Reboots of ${host}` })).toBeVisible();

  const rows = page.getByRole("table", { name: "Reboots" }).locator("tbody tr");
  await expect(rows).toHaveCount(mine.length);
  // In order (newest first): when, type (escalations flagged), trigger (and the rollout), each phase, the total, images.
  const shown = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({
      at: tr.querySelector("time")?.getAttribute("datetime"),
      cells: [...tr.querySelectorAll("td")].slice(1).map((td) => td.textContent!.replace(/\s+/g, " ").trim()),
    })),
  );
  expect(shown).toEqual(
    mine.map(({ spec }) => {
      const phases = phasesOf(spec);
      const total = phases.totalMs;
      return {
        at: spec.at.toISOString(),
        cells: [
          `${TYPE_LABELS[typeOf(spec)]}${spec.escalated ? "escalated" : ""}`,
          `${TRIGGER_LABELS[spec.trigger]}${spec.commandId ? `rollout of ${rolloutGroup}` : ""}`,
          ...PHASES.map((phase) => (phases[phase] === null ? unknownPhase(spec, phase) : ms(phases[phase]!))),
          total === null
            ? "Unknown: the node's state from before the reboot was lost, so when it went down is not known"
            : `${typeOf(spec) === "soft-reboot" ? "" : "≥ "}${ms(total)}`,
          `${spec.imageBefore} → ${spec.imageAfter}`,
        ],
      };
    }),
  );
  await expect(rows.getByRole("link", { name: `rollout of ${rolloutGroup}` })).toHaveAttribute(
    "href",
    `/reports/rollouts/${rolloutId}`,
  );

  // The CSV download: the same reboots in the same order, with the same phases and the reason for a missing total.
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`reboots-${host}.csv`);
  const csv = parseCsv(await readFile((await download.path())!, "utf8"));
  expect(
    csv.map((row) => ({
      recordId: row.recordId,
      rebootType: row.rebootType,
      trigger: row.trigger,
      escalated: row.escalated,
      rolloutId: row.rolloutId,
      ...Object.fromEntries([...PHASES, "totalMs" as const].map((phase) => [phase, csvNumber(row[phase])])),
      missingTotal: row.missingTotal,
    })),
  ).toEqual(
    mine.map(({ spec, recordId }) => ({
      recordId,
      rebootType: typeOf(spec),
      trigger: spec.trigger,
      escalated: String(spec.escalated ?? false),
      rolloutId: spec.commandId ? rolloutId : "",
      ...phasesOf(spec),
      missingTotal: phasesOf(spec).totalMs === null ? expect.stringContaining("state from before the reboot") : "",
    })),
  );

  // The JSON export holds the same rows.
  const json = await page.request.get(`/reports/nodes/${nodeIds.n}/export?format=json`);
  expect(json.ok()).toBe(true);
  const records = (await json.json()) as Array<{ recordId: string; totalMs: number | null; trigger: string }>;
  expect(records.map((r) => [r.recordId, r.trigger, r.totalMs])).toEqual(
    mine.map(({ spec, recordId }) => [recordId, spec.trigger, phasesOf(spec).totalMs]),
  );
});
