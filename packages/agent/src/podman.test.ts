import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerState } from "@softfleet/protocol";
import { describe, expect, it } from "vitest";
import { containerContinuity, listContainers } from "./podman";

const web: ContainerState = {
  id: "6b6418c5f296",
  name: "web",
  image: "localhost/web:1",
  state: "running",
  pid: 188,
  startedAt: 1_796_371_721,
  unit: "web.service",
};

describe("Podman containers", () => {
  it("keeps running: same process and start time; restarted: either changed; gone and new by their state", () => {
    const db = { ...web, id: "db", name: "db", pid: 300 };
    const old = { ...web, id: "old", name: "old", pid: 400 };
    const fresh = { ...web, id: "fresh", name: "fresh", pid: 500 };
    const stopped = { ...web, id: "stopped", name: "stopped", state: "exited", pid: 0 };
    const outcomes = containerContinuity(
      [web, db, old, stopped],
      [web, { ...db, pid: 301, startedAt: web.startedAt + 2 }, { ...old, state: "exited", pid: 0 }, fresh, stopped],
    ).map((c) => [(c.after ?? c.before)!.name, c.outcome]);
    expect(outcomes).toEqual([
      ["web", "kept-running"],
      ["db", "restarted"],
      ["old", "gone"],
      ["fresh", "new"],
    ]);
  });

  it("lists them from Podman's REST API on its socket, and nothing from a socket that is not one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "softfleet-podman-"));
    const socketPath = join(dir, "podman.sock");
    const answers: unknown[] = [
      [
        {
          Id: "6b6418c5f2968620fe4b76da545ba638228727b7a4804b425545f174715e37fa",
          Names: ["softfleet-demo-web"],
          Image: "localhost/softfleet-demo-web:1",
          State: "running",
          Pid: 188,
          StartedAt: 1796371721,
          Labels: { PODMAN_SYSTEMD_UNIT: "softfleet-demo-web.service" },
        },
      ],
      [{ Id: 42 }],
    ];
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url!);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answers.shift()));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      expect(await listContainers(socketPath)).toEqual([
        {
          id: "6b6418c5f2968620fe4b76da545ba638228727b7a4804b425545f174715e37fa",
          name: "softfleet-demo-web",
          image: "localhost/softfleet-demo-web:1",
          state: "running",
          pid: 188,
          startedAt: 1796371721,
          unit: "softfleet-demo-web.service",
        },
      ]);
      expect(paths).toEqual(["/v4.0.0/libpod/containers/json?all=true"]);
      // An answer of the wrong shape, or no socket at all: no containers known.
      expect(await listContainers(socketPath)).toBeNull();
      expect(await listContainers(join(dir, "missing.sock"))).toBeNull();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
