import { describe, expect, it } from "vitest";
import { LineSplitter, OutputTail } from "./output-tail";

describe("OutputTail", () => {
  it("keeps the last 20 lines and at most 4 KB", () => {
    const tail = new OutputTail();
    for (let i = 1; i <= 100; i++) tail.push(`line ${i}`);
    expect(tail.text().split("\n")).toEqual(Array.from({ length: 20 }, (_, i) => `line ${81 + i}`));
    tail.push("x".repeat(1_000_000));
    expect(tail.text().length).toBeLessThanOrEqual(4096);
    expect(tail.text()).toBe("x".repeat(4096));
  });
});

describe("LineSplitter", () => {
  it("splits text written in pieces into lines and flushes the last at the end", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 10);
    splitter.write("one\ntw");
    splitter.write("o\r\nthree");
    expect(lines).toEqual(["one", "two"]);
    splitter.write("-and-more-than-ten");
    expect(lines).toEqual(["one", "two", "three-and-more-than-ten"]);
    splitter.write("last");
    splitter.end();
    expect(lines.at(-1)).toBe("last");
  });
});
