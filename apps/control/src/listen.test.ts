import { createServer } from "node:http";
import { freePort } from "@softfleet/db/embedded";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnAll } from "./listen";

const servers: Array<() => void> = [];
afterEach(() => {
  for (const close of servers.splice(0)) close();
});

describe("listenOnAll", () => {
  it("serves the same server on every address it is given", async () => {
    const server = createServer((req, res) => res.end(`hello from ${req.socket.localAddress}`));
    const port = await freePort();
    const closeRelays = await listenOnAll(server, ["127.0.0.1", "127.0.0.2"], port);
    servers.push(() => {
      closeRelays();
      server.close();
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("hello from 127.0.0.1");
    expect(await (await fetch(`http://127.0.0.2:${port}/`)).text()).toBe("hello from 127.0.0.2");
  });

  it("says which address could not be taken", async () => {
    const port = await freePort();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.2", resolve));
    servers.push(() => taken.close());
    const server = createServer();
    await expect(listenOnAll(server, ["127.0.0.1", "127.0.0.2"], port)).rejects.toThrow(
      `port ${port} on 127.0.0.2 is in use`,
    );
    // The first address was let go again: nothing half-started stays behind.
    expect(server.listening).toBe(false);
    await expect(listenOnAll(createServer(), ["198.51.100.7"], port)).rejects.toThrow(/not an address of this machine/);
  });
});
