import { request } from "node:http";
import type { ContainerContinuity, ContainerState } from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";

/**
 * The node's Podman containers, from Podman's REST API on its socket
 * (podman.socket starts the service on demand). The API, not `podman ps`: the
 * agent runs without CAP_SYS_ADMIN and may not create namespaces, which the
 * podman command needs. What the socket answers is input like any other:
 * bounded and validated.
 */

const MAX_BYTES = 4 * 1024 * 1024;
const listed = z
  .array(
    z.object({
      Id: z.string().check(z.minLength(1), z.maxLength(128)),
      Names: z.optional(z.nullable(z.array(z.string().check(z.maxLength(256))).check(z.maxLength(16)))),
      Image: z.string().check(z.maxLength(512)),
      State: z.string().check(z.maxLength(32)),
      Pid: z.optional(z.number().check(z.int(), z.nonnegative(), z.maximum(2_147_483_647))),
      StartedAt: z.optional(z.number().check(z.int(), z.nonnegative(), z.maximum(1e11))),
      Labels: z.optional(z.nullable(z.record(z.string(), z.string()))),
    }),
  )
  .check(z.maxLength(200));

/** The containers (all of them, running or not), or null when there is no Podman API at `socketPath`. */
export function listContainers(socketPath: string, timeoutMs = 3000): Promise<ContainerState[] | null> {
  return new Promise((settle) => {
    // Settled once: by the answer, by any failure, or by the deadline (a stalled socket may never end).
    let done = false;
    const finish = (value: ContainerState[] | null) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      settle(value);
      req.destroy();
    };
    const deadline = setTimeout(() => finish(null), timeoutMs);
    let responded = false;
    const req = request({ socketPath, path: "/v4.0.0/libpod/containers/json?all=true" }, (res) => {
      responded = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.length > MAX_BYTES) finish(null);
      });
      res.on("end", () => {
        if (res.statusCode !== 200) return finish(null);
        try {
          const parsed = listed.safeParse(JSON.parse(body));
          finish(parsed.success ? parsed.data.map(containerOf) : null);
        } catch {
          finish(null);
        }
      });
      res.on("error", () => finish(null));
      res.on("close", () => finish(null));
    });
    req.on("error", () => finish(null));
    req.on("close", () => {
      if (!responded) finish(null);
    });
    req.end();
  });
}

function containerOf(c: z.infer<typeof listed>[number]): ContainerState {
  return {
    id: c.Id.slice(0, 64),
    name: c.Names?.[0] ?? c.Id.slice(0, 12),
    image: c.Image,
    state: c.State,
    pid: c.Pid ?? 0,
    startedAt: c.StartedAt ?? 0,
    unit: c.Labels?.PODMAN_SYSTEMD_UNIT?.slice(0, 256) ?? null,
  };
}

/**
 * Each container before and after a reboot, by id: kept running when its
 * process and start time are the same (a container restarted by its unit gets
 * a new process and a new start time, even with the same id).
 */
export function containerContinuity(
  before: readonly ContainerState[],
  after: readonly ContainerState[],
): ContainerContinuity[] {
  const running = (c: ContainerState | undefined) => c !== undefined && c.state === "running" && c.pid > 0;
  const ids = [...new Set([...before.map((c) => c.id), ...after.map((c) => c.id)])].filter((id) =>
    [before, after].some((list) => running(list.find((c) => c.id === id))),
  );
  return ids.slice(0, 200).map((id) => {
    const b = before.find((c) => c.id === id);
    const a = after.find((c) => c.id === id);
    const outcome: ContainerContinuity["outcome"] = !running(a)
      ? "gone"
      : !running(b)
        ? "new"
        : a!.pid === b!.pid && a!.startedAt === b!.startedAt
          ? "kept-running"
          : "restarted";
    return { outcome, before: b ?? null, after: a ?? null };
  });
}
