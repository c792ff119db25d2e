import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "@softfleet/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIdGenerator } from "./ids";
import { setLogSink } from "./log";
import { type EventMessage, Spool } from "./spool";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-spool-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const result = (id: string, commandId = "cmd-00000001"): EventMessage => ({
  kind: "event",
  v: PROTOCOL_VERSION,
  id,
  event: { type: "command-result", commandId, outcome: "accepted", reason: null },
});

describe("event ids", () => {
  it("sort in the order they were made, even within one microsecond", () => {
    const clock = [5n, 5n, 5n, 4n, 1_000_000n];
    const next = createIdGenerator(() => clock.shift()!);
    const ids = Array.from({ length: 5 }, next);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
    expect(ids[0]).toMatch(/^0000000000000005-[0-9a-f]{12}$/);
  });
});

describe("Spool", () => {
  it("keeps each event in its own private file until it is acked", () => {
    const spool = new Spool(join(dir, "spool"));
    spool.put(result("0000000000000002-aaaaaaaaaaaa"));
    spool.put(result("0000000000000001-bbbbbbbbbbbb"));
    expect(readdirSync(spool.dir).sort()).toEqual([
      "0000000000000001-bbbbbbbbbbbb.json",
      "0000000000000002-aaaaaaaaaaaa.json",
    ]);
    expect(statSync(join(spool.dir, "0000000000000001-bbbbbbbbbbbb.json")).mode & 0o777).toBe(0o600);

    spool.ack(["0000000000000001-bbbbbbbbbbbb", "never-spooled-id", "../../etc/passwd"]);
    expect(spool.pending().map((e) => e.id)).toEqual(["0000000000000002-aaaaaaaaaaaa"]);
    expect(spool.has("0000000000000001-bbbbbbbbbbbb")).toBe(false);
  });

  it("replays in id order across a restart (a new Spool on the same folder)", () => {
    const next = createIdGenerator();
    const ids = Array.from({ length: 20 }, next);
    const first = new Spool(join(dir, "spool"));
    for (const id of [...ids].reverse()) first.put(result(id));
    first.ack([ids[3]!, ids[7]!]);

    const reopened = new Spool(join(dir, "spool"));
    expect(reopened.pending().map((e) => e.id)).toEqual(ids.filter((_, i) => i !== 3 && i !== 7));
    expect(reopened.pending()[0]).toEqual(result(ids[0]!));
  });

  it("writing the same id again replaces the event rather than doubling it", () => {
    const spool = new Spool(join(dir, "spool"));
    spool.put(result("0000000000000001-record", "cmd-first-0001"));
    spool.put(result("0000000000000001-record", "cmd-second-002"));
    const pending = spool.pending();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.event).toMatchObject({ commandId: "cmd-second-002" });
  });

  it("ignores and removes what a crash mid-write leaves behind, and drops corrupt files", () => {
    const spoolDir = join(dir, "spool");
    const spool = new Spool(spoolDir);
    spool.put(result("0000000000000001-aaaaaaaaaaaa"));
    // A crash between write and rename: a temporary file, never an event.
    writeFileSync(join(spoolDir, ".0000000000000002-bbbbbbbbbbbb.json.1234.tmp"), '{"kind":"eve');
    expect(spool.pending().map((e) => e.id)).toEqual(["0000000000000001-aaaaaaaaaaaa"]);

    writeFileSync(join(spoolDir, "0000000000000003-cccccccccccc.json"), "{not json");
    writeFileSync(join(spoolDir, "0000000000000004-dddddddddddd.json"), JSON.stringify(result("another-id-000")));
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      expect(new Spool(spoolDir).pending().map((e) => e.id)).toEqual(["0000000000000001-aaaaaaaaaaaa"]);
    } finally {
      setLogSink(previous);
    }
    expect(readdirSync(spoolDir)).toEqual(["0000000000000001-aaaaaaaaaaaa.json"]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warn spool: dropping an unreadable event file/);
  });
});
