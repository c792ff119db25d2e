import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseByteRange } from "./byte-range";
import { loadEnv } from "./env";
import { attachGateway } from "./gateway/gateway";
import { enroll, machineIdOf, newToken } from "./gateway/testing";
import { type ControlServerOptions, createControlServer } from "./server";

// Enrolled agents download OS images from control: whole, or resumed by byte range.

let t: TestDatabase;
let dir: string;
let url: string;
let withoutImages: string;
const closers: Array<() => Promise<void>> = [];
const image = randomBytes(3 * 1024 * 1024 + 17);
const imageSha256 = createHash("sha256").update(image).digest("hex");
let counter = 600;

/** A control server with the gateway (for enrollment) on a free port, as main.ts makes it. */
async function startControl(options: ControlServerOptions): Promise<string> {
  const server = createControlServer(t.db, undefined, { log: () => {}, ...options });
  const gateway = await attachGateway(server, t.db, { databaseUrl: t.url, log: () => {} });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    await gateway.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "softfleet-images-test-"));
  await writeFile(join(dir, "softfleet-lab-5.tar"), image);
  await writeFile(join(dir, "softfleet-lab-5.tar.sha256"), `${imageSha256}  softfleet-lab-5.tar\n`);
  // Larger than every buffer between server and client: a download not read stays under way.
  await writeFile(join(dir, "big.img"), "");
  await truncate(join(dir, "big.img"), 256 * 1024 * 1024);
  await symlink("/etc/passwd", join(dir, "escape.tar"));
  await mkdir(join(dir, "folder"));
  url = await startControl({ imagesDir: dir, imageDownloadLimits: { perNode: 2, total: 3 } });
  withoutImages = await startControl({});
});
afterAll(async () => {
  for (const close of closers) await close();
  await rm(dir, { recursive: true, force: true });
  await t.drop();
});

async function enrolledNode() {
  const machineId = machineIdOf(counter++);
  const { body } = await enroll(url, { token: await newToken(t.db), machineId, hostname: `images-${counter}` });
  return { nodeId: body.nodeId!, credential: body.credential! };
}

const download = (path: string, credential: string | undefined, headers: Record<string, string> = {}, init = {}) =>
  fetch(`${url}${path}`, {
    ...init,
    headers: { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...headers },
  });

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 250 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await check()).toBe(true);
}

describe("GET /images/<name>", () => {
  it("sends an enrolled node the whole image, and its checksum file", async () => {
    const { credential } = await enrolledNode();
    const response = await download("/images/softfleet-lab-5.tar", credential);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-tar");
    expect(response.headers.get("content-length")).toBe(String(image.length));
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    const body = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(imageSha256);

    const checksum = await download("/images/softfleet-lab-5.tar.sha256", credential);
    expect(checksum.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await checksum.text()).toBe(`${imageSha256}  softfleet-lab-5.tar\n`);

    const head = await download("/images/softfleet-lab-5.tar", credential, {}, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(image.length));
    expect(await head.text()).toBe("");
  });

  it("resumes a download cut off at byte N, and sends a range N-M", async () => {
    const { credential } = await enrolledNode();
    const cut = 1_000_003;
    const first = await download("/images/softfleet-lab-5.tar", credential, { range: `bytes=0-${cut - 1}` });
    expect(first.status).toBe(206);
    const rest = await download("/images/softfleet-lab-5.tar", credential, { range: `bytes=${cut}-` });
    expect(rest.status).toBe(206);
    expect(rest.headers.get("content-range")).toBe(`bytes ${cut}-${image.length - 1}/${image.length}`);
    expect(rest.headers.get("content-length")).toBe(String(image.length - cut));
    const joined = Buffer.concat([Buffer.from(await first.arrayBuffer()), Buffer.from(await rest.arrayBuffer())]);
    expect(createHash("sha256").update(joined).digest("hex")).toBe(imageSha256);

    const middle = await download("/images/softfleet-lab-5.tar", credential, { range: "bytes=10-19" });
    expect(middle.headers.get("content-range")).toBe(`bytes 10-19/${image.length}`);
    expect(Buffer.from(await middle.arrayBuffer())).toEqual(image.subarray(10, 20));
    // Resuming against a file that changed since the first part: the whole file again.
    const changed = await download("/images/softfleet-lab-5.tar", credential, {
      range: `bytes=${cut}-`,
      "if-range": '"not-this-file"',
    });
    expect(changed.status).toBe(200);
    await changed.body?.cancel();
  });

  it("answers a range past the end with 416 and the size", async () => {
    const { credential } = await enrolledNode();
    const response = await download("/images/softfleet-lab-5.tar", credential, { range: `bytes=${image.length}-` });
    expect(response.status).toBe(416);
    expect(response.headers.get("content-range")).toBe(`bytes */${image.length}`);
    expect(((await response.json()) as { error: string }).error).toContain(`${image.length} bytes`);
  });

  it("refuses a missing, malformed, wrong or revoked credential with 401 and why", async () => {
    const { nodeId, credential } = await enrolledNode();
    const refused = async (credential: string | undefined) => {
      const response = await download("/images/softfleet-lab-5.tar", credential);
      expect(response.status).toBe(401);
      return ((await response.json()) as { error: string }).error;
    };
    expect(await refused(undefined)).toBe("send the node's credential as Authorization: Bearer <credential>");
    expect(await refused("not-a-credential")).toBe("the credential is malformed");
    expect(await refused(`${credential.slice(0, -4)}AAAA`)).toBe("the credential is wrong");
    await t.db.node.update({ where: { id: nodeId }, data: { revokedAt: new Date() } });
    expect(await refused(credential)).toBe("this node was revoked by an admin");
  });

  it.each([
    "/images/..%2f..%2fetc%2fpasswd",
    "/images/.hidden",
    "/images/escape.tar",
    "/images/folder",
    "/images/missing.tar",
    "/images/",
  ])("answers %s with 404: nothing outside the directory, nothing but its files", async (path) => {
    const { credential } = await enrolledNode();
    const response = await download(path, credential);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toMatch(/^no image/);
  });

  it("never lets a dot segment out of /images/", async () => {
    const { credential } = await enrolledNode();
    // fetch would tidy the path itself: this request sends it as it is.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/images/../../../etc/passwd`, { headers: { authorization: `Bearer ${credential}` } });
      req.path = "/images/../../../etc/passwd";
      req.on("response", (res) => resolve(res.resume().statusCode ?? 0)).on("error", reject);
      req.end();
    });
    expect(status).toBe(404);
  });

  it("holds a node to 2 downloads at once and the server to its limit, and frees a slot when a client goes", async () => {
    const a = await enrolledNode();
    const b = await enrolledNode();
    const held = new AbortController();
    const hold = (credential: string) => download("/images/big.img", credential, {}, { signal: held.signal });
    const underWay = [await hold(a.credential), await hold(a.credential), await hold(b.credential)];
    expect(underWay.map((response) => response.status)).toEqual([200, 200, 200]);
    const third = await download("/images/big.img", a.credential);
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("5");
    const full = await download("/images/big.img", b.credential);
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("10");
    // HEAD reads nothing and needs no slot.
    expect((await download("/images/big.img", a.credential, {}, { method: "HEAD" })).status).toBe(200);

    held.abort();
    await until(async () => {
      const response = await download("/images/softfleet-lab-5.tar", a.credential, { range: "bytes=0-0" });
      await response.body?.cancel();
      return response.status === 206;
    });
  });
});

describe("a control plane without SOFTFLEET_IMAGES_DIR", () => {
  it("says it serves no images", async () => {
    const response = await fetch(`${withoutImages}/images/softfleet-lab-5.tar`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: "this control plane serves no images (set SOFTFLEET_IMAGES_DIR)",
    });
  });
});

describe("SOFTFLEET_IMAGES_DIR", () => {
  it("is an absolute path, or absent", () => {
    const base = { DATABASE_URL: "postgres://u@h/db" };
    expect(loadEnv({ ...base, SOFTFLEET_IMAGES_DIR: "/var/cache/softfleet-lab/images" }).SOFTFLEET_IMAGES_DIR).toBe(
      "/var/cache/softfleet-lab/images",
    );
    expect(loadEnv(base).SOFTFLEET_IMAGES_DIR).toBeUndefined();
    expect(() => loadEnv({ ...base, SOFTFLEET_IMAGES_DIR: "images" })).toThrow(
      /SOFTFLEET_IMAGES_DIR: must be an absolute path/,
    );
  });
});

describe("Range headers", () => {
  it.each([
    [undefined, "whole"],
    ["bytes=0-", { start: 0, end: 99 }],
    ["bytes=40-", { start: 40, end: 99 }],
    ["bytes=40-59", { start: 40, end: 59 }],
    ["bytes=40-1000", { start: 40, end: 99 }],
    ["bytes=-10", { start: 90, end: 99 }],
    ["bytes=-1000", { start: 0, end: 99 }],
    ["bytes=100-", "unsatisfiable"],
    ["bytes=50-40", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=0-9,20-29", "whole"],
    ["items=0-9", "whole"],
    ["bytes=-", "whole"],
  ])("reads %s of 100 bytes as %j", (header, expected) => {
    expect(parseByteRange(header, 100)).toEqual(expected);
  });
});
