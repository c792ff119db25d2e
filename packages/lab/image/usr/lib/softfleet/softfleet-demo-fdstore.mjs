// A lab demo service with a file descriptor store (FileDescriptorStoreMax=,
// FileDescriptorStorePreserve=yes). It is an ordinary service: a soft-reboot
// stops it and starts it again in the new root. It hands systemd three kinds
// of fd and gets them back on the next start (LISTEN_FDS, LISTEN_FDNAMES):
//   listen      its listening TCP socket: no connection is refused meanwhile;
//   client-N    each client connection, from its first line on: the client
//               keeps the same TCP connection, and what it sent meanwhile
//               waits in the socket (one that connects and leaves is not kept);
//   buffer      a memfd with its state (how many starts, lines answered).
// Protocol: each line a client sends is answered with one JSON line saying
// which process answered and what the buffer holds.
// Usage: node softfleet-demo-fdstore.mjs PORT (from /etc/softfleet/demo.env).
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, readSync, writeSync } from "node:fs";
import { createServer, Socket } from "node:net";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`usage: softfleet-demo-fdstore.mjs PORT (got ${process.argv.slice(2).join(" ")})`);
  process.exit(2);
}
const service = "softfleet-demo-fdstore.service";
const invocationId = process.env.INVOCATION_ID ?? null;

/** Hands fd to systemd's store under name (the notify socket takes it from systemd-notify). */
function store(fd, name) {
  const result = spawnSync("systemd-notify", [`--pid=${process.pid}`, "--fd=3", `--fdname=${name}`, "FDSTORE=1"], {
    stdio: ["ignore", "inherit", "inherit", fd],
  });
  if (result.status !== 0)
    console.error(`${service}: could not store fd ${name} (systemd-notify exited ${result.status})`);
}

function forget(name) {
  spawnSync("systemd-notify", [`--pid=${process.pid}`, "FDSTOREREMOVE=1", `FDNAME=${name}`], { stdio: "inherit" });
}

/** The fds systemd passed back, by name (sd_listen_fds: from fd 3, when LISTEN_PID is this process). */
function passedFds() {
  const fds = new Map();
  if (process.env.LISTEN_PID !== String(process.pid)) return fds;
  const names = (process.env.LISTEN_FDNAMES ?? "").split(":");
  const count = Number(process.env.LISTEN_FDS ?? 0);
  for (let i = 0; i < count; i++) fds.set(names[i] ?? `unknown-${i}`, 3 + i);
  return fds;
}

// memfd_create(2) has no binding in Node: perl-base (in every Debian) makes the
// memfd, writes the first state into it and passes it to systemd-notify.
const MEMFD_CREATE = { x64: 319, arm64: 279 }[process.arch];
function createBuffer(state) {
  const script = `$^F = 1024; my $name = "softfleet-demo-buffer"; my $fd = syscall(${MEMFD_CREATE}, $name, 0); die "memfd_create: $!" if $fd < 0;
open(my $fh, ">&=", $fd) or die "fdopen: $!"; syswrite($fh, $ARGV[1]) or die "write: $!";
exec("systemd-notify", "--pid=$ARGV[0]", "--fd=$fd", "--fdname=buffer", "FDSTORE=1") or die "exec: $!";`;
  const result = spawnSync("perl", ["-e", script, String(process.pid), JSON.stringify(state)], { stdio: "inherit" });
  if (result.status !== 0) console.error(`${service}: could not store the memfd buffer (perl exited ${result.status})`);
}

function readBuffer(fd) {
  const bytes = Buffer.alloc(4096);
  const length = readSync(fd, bytes, 0, bytes.length, 0);
  return JSON.parse(bytes.subarray(0, length).toString());
}

function writeBuffer(fd, state) {
  const text = Buffer.from(JSON.stringify(state));
  ftruncateSync(fd, 0);
  writeSync(fd, text, 0, text.length, 0);
}

const passed = passedFds();
const bufferFd = passed.get("buffer") ?? null;
let state = { starts: 1, lines: 0, createdBy: process.pid };
if (bufferFd !== null) {
  state = readBuffer(bufferFd);
  state.starts += 1;
  writeBuffer(bufferFd, state);
} else {
  createBuffer(state);
}
const restored = [...passed.keys()];
let nextClient = Math.max(0, ...restored.filter((n) => n.startsWith("client-")).map((n) => Number(n.slice(7)))) + 1;

/** `stored`: the connection is in the fd store already (one handed back), else it is stored on its first line. */
function serve(socket, name, stored) {
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk) => {
    // A client that speaks is kept; one that only connects and leaves (a probe) never enters the store.
    if (!stored) {
      store(socket._handle.fd, name);
      stored = true;
    }
    pending += chunk;
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
      pending = pending.slice(end + 1);
      state.lines += 1;
      if (bufferFd !== null) writeBuffer(bufferFd, state);
      const answer = { service, pid: process.pid, invocationId, connection: name, restored, ...state };
      socket.write(`${JSON.stringify(answer)}\n`);
    }
  });
  // The client hung up: drop its copy from the store too.
  socket.on("end", () => {
    if (stored) forget(name);
    socket.end();
  });
  socket.on("error", () => {
    if (stored) forget(name);
  });
}

const server = createServer((socket) => serve(socket, `client-${nextClient++}`, false));
for (const [name, fd] of passed) {
  if (name.startsWith("client-")) serve(new Socket({ fd, readable: true, writable: true }), name, true);
}
const listenFd = passed.get("listen");
if (listenFd !== undefined) {
  server.listen({ fd: listenFd }, () =>
    console.log(`${service}: serving again on the stored socket (${restored.join(", ")})`),
  );
} else {
  // The node's own network: loopback and its lab address.
  server.listen(port, "0.0.0.0", () => {
    store(server._handle.fd, "listen");
    console.log(`${service}: listening on port ${port}, socket stored`);
  });
}
// Stopped (a soft-reboot, a restart): exit without closing a socket, so no client sees a FIN; the
// store keeps every connection open until the next start takes them back.
process.on("SIGTERM", () => {
  if (bufferFd !== null) closeSync(bufferFd);
  process.exit(0);
});
