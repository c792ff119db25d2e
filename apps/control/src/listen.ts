import { createServer, type Server } from "node:net";

/**
 * Connections the kernel may hold for control before it accepts them (capped
 * by net.core.somaxconn). Node's default, 511, is less than a fleet that
 * reconnects at once after a restart: the SYNs past it are dropped, and each
 * such agent waits for TCP's retransmission (1 s, 3 s, 7 s, ...) or its own
 * handshake timeout.
 */
export const LISTEN_BACKLOG = 16_384;

/**
 * Listens on each of `hosts` with one server: the first address is the
 * server's own; each further address is a plain TCP listener that hands its
 * connections to it (for a TLS server, the handshake happens there too).
 * Resolves with a function that closes the further listeners.
 */
export async function listenOnAll(server: Server, hosts: string[], port: number): Promise<() => void> {
  const [first, ...rest] = hosts;
  const extra: Server[] = [];
  const listen = (target: Server, host: string) =>
    new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
      target.once("error", failed);
      target.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        target.off("error", failed);
        resolve();
      });
    });
  try {
    await listen(server, first!);
    for (const host of rest) {
      const relay = createServer((socket) => server.emit("connection", socket));
      extra.push(relay);
      await listen(relay, host);
    }
  } catch (error) {
    for (const relay of extra) relay.close();
    if (server.listening) server.close();
    throw error;
  }
  return () => {
    for (const relay of extra) relay.close();
  };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === "EADDRINUSE")
    return new Error(`port ${port} on ${host} is in use: set CONTROL_PORT to a free port`);
  if (error.code === "EADDRNOTAVAIL")
    return new Error(`${host} is not an address of this machine: set CONTROL_HOST to addresses it has`);
  return new Error(`cannot listen on ${host}:${port}: ${error.message}`);
}
