import { readFileSync } from "node:fs";
import type { NetworkLink } from "@softfleet/protocol";
import { describe, expect, it } from "vitest";
import { keepConfigurationOf, type LinkReaders, linkContinuity, linksOf } from "./network";

/** systemd-networkd 257's Describe() on a lab node (lo unmanaged, host0 from the lab's .network file). */
const DESCRIBED = readFileSync(new URL("./testing/networkd-describe.json", import.meta.url), "utf8");

const readers = (files: Record<string, string>, carrierDowns: Record<string, number> = {}): LinkReaders => ({
  readText: async (path) => files[path] ?? null,
  carrierDownCount: async (name) => carrierDowns[name] ?? null,
});

const link = (overrides: Partial<NetworkLink>): NetworkLink => ({
  name: "host0",
  operState: "routable",
  keepConfiguration: "static",
  networkFile: "/etc/systemd/network/10-softfleet-lab.network",
  addresses: ["10.213.1.1/16"],
  carrierDownCount: 1,
  ...overrides,
});

describe("networkd's links", () => {
  it("lists the managed links of a real Describe() with their addresses, KeepConfiguration and carrier losses", async () => {
    const links = await linksOf(
      DESCRIBED,
      readers(
        {
          "/etc/systemd/network/10-softfleet-lab.network": "[Match]\nName=host0\n[Network]\nKeepConfiguration=static\n",
        },
        { host0: 1 },
      ),
    );
    expect(links).toEqual([link({})]);
  });

  it("refuses what is not networkd's JSON, without throwing", async () => {
    expect(await linksOf("not json", readers({}))).toBeNull();
    expect(await linksOf(JSON.stringify({ Interfaces: [{ Name: 7 }] }), readers({}))).toBeNull();
    expect(await linksOf("x".repeat(5 * 1024 * 1024), readers({}))).toBeNull();
  });

  it("takes KeepConfiguration= from the [Network] section, drop-ins last, an empty value resetting it", async () => {
    const files = {
      "/a.network": "[Match]\nKeepConfiguration=yes\n[Network]\nKeepConfiguration=no\n",
      "/a.network.d/10.conf": "[Network]\nKeepConfiguration = dynamic-on-stop\n",
      "/a.network.d/20.conf": "[Network]\nKeepConfiguration=\n",
    };
    expect(await keepConfigurationOf(["/a.network"], readers(files))).toBe("no");
    expect(await keepConfigurationOf(["/a.network", "/a.network.d/10.conf"], readers(files))).toBe("dynamic-on-stop");
    expect(await keepConfigurationOf(Object.keys(files), readers(files))).toBeNull();
  });
});

describe("linkContinuity", () => {
  it("tells a kept link from one whose addresses changed and one that lost its carrier", () => {
    const before = [link({}), link({ name: "eth1", addresses: ["192.0.2.5/24"] }), link({ name: "eth2" })];
    const after = [
      link({}),
      link({ name: "eth1", addresses: ["192.0.2.6/24"] }),
      link({ name: "eth2", carrierDownCount: 2 }),
      link({ name: "eth3" }),
    ];
    expect(linkContinuity(before, after).map((l) => `${l.name}:${l.outcome}`)).toEqual([
      "host0:kept",
      "eth1:changed",
      "eth2:went-down",
      "eth3:new",
    ]);
    expect(linkContinuity([link({})], []).map((l) => l.outcome)).toEqual(["gone"]);
  });
});
