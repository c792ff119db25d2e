/**
 * For the staging tests: OS image tarballs built with the system tar, an
 * HTTP server on 127.0.0.1 that serves them with Range support and can cut a
 * response half-way or stall it, and the StageError a call is expected to fail with.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { StageError } from "./errors";

export interface TestImage {
  path: string;
  body: Buffer;
  sha256: string;
}

/**
 * A gzip tarball of a small OS tree: etc/os-release (unless imageVersion is
 * null), etc/hostname "image-host", an executable, and `blobBytes` of random
 * (incompressible) data to make it as large as a test needs.
 */
export function buildImage(
  outDir: string,
  { imageVersion = "2" as string | null, blobBytes = 16_384, name = "image.tar.gz" } = {},
): TestImage {
  const tree = mkdtempSync(join(tmpdir(), "sf-image-tree-"));
  try {
    const write = (path: string, content: string | Buffer, mode = 0o644) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
      chmodSync(join(tree, path), mode);
    };
    if (imageVersion !== null) {
      write("usr/lib/os-release", `ID=testos\nNAME="Test OS"\nIMAGE_ID=testos\nIMAGE_VERSION=${imageVersion}\n`);
      mkdirSync(join(tree, "etc"));
      symlinkSync("../usr/lib/os-release", join(tree, "etc/os-release"));
    }
    write("etc/hostname", "image-host\n");
    write("etc/machine-id", "");
    write("usr/bin/hello", "#!/bin/sh\necho hello\n", 0o755);
    write("usr/share/testos/blob", randomBytes(blobBytes));
    mkdirSync(join(tree, "var/lib"), { recursive: true });
    const path = join(outDir, name);
    execFileSync("tar", ["-c", "-z", "-f", path, "--numeric-owner", "-C", tree, "."]);
    const body = readFileSync(path);
    return { path, body, sha256: createHash("sha256").update(body).digest("hex") };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

export interface Route {
  body: Buffer;
  /** The first `times` responses send only this many bytes, then the connection is cut. */
  cut?: { afterBytes: number; times: number };
  /** Send this many bytes, then nothing more (until the server closes). */
  stallAfterBytes?: number;
  status?: number;
  /** false: answer every request with the whole body (200), as a server without Range support does. */
  ranges?: boolean;
}

export interface SeenRequest {
  path: string;
  range: string | null;
  authorization: string | null;
}

export interface ImageServer {
  url(path: string): string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startImageServer(routes: Record<string, Route>): Promise<ImageServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push({ path, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null });
    const route = routes[path];
    if (!route || route.status) {
      res.writeHead(route?.status ?? 404, { "content-type": "text/plain" }).end("no such image\n");
      return;
    }
    const { body } = route;
    const range = route.ranges === false ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && range) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(
      range ? 206 : 200,
      range
        ? { "content-length": body.length - start, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` }
        : { "content-length": body.length },
    );
    const rest = body.subarray(start);
    if (route.cut && route.cut.times > 0) {
      route.cut.times--;
      // Let the client write what it got before the connection goes.
      res.write(rest.subarray(0, route.cut.afterBytes), () => setTimeout(() => res.socket?.destroy(), 200));
    } else if (route.stallAfterBytes !== undefined) {
      res.write(rest.subarray(0, route.stallAfterBytes));
    } else {
      res.end(rest);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The StageError a staging call fails with (the test fails when it resolves, or throws something else). */
export async function rejection(promise: Promise<unknown>): Promise<StageError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StageError);
  return error as StageError;
}
