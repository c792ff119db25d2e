import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A real dbus-daemon on a unix socket in a temporary folder, allowing
 * everything: the stand-in logind and systemd own their real names on it,
 * and systemd-inhibit finds it through DBUS_SYSTEM_BUS_ADDRESS.
 */
export interface PrivateBus {
  address: string;
  stop(): Promise<void>;
}

/** In a new temporary folder, or in `dir` (its socket: dir/bus.sock) for a test that waits for it there. */
export async function startPrivateBus(options: { dir?: string } = {}): Promise<PrivateBus> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "sf-agent-bus-")));
  const config = join(dir, "bus.conf");
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, "bus.sock")}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
`,
  );
  const { stdout } = await promisify(execFile)("dbus-daemon", [
    `--config-file=${config}`,
    "--fork",
    "--print-address=1",
    "--print-pid=1",
  ]);
  const [address, pid] = stdout.trim().split("\n");
  if (!address || !pid) throw new Error(`dbus-daemon printed no address and pid: ${stdout}`);
  return {
    address,
    async stop() {
      try {
        process.kill(Number(pid), "SIGTERM");
      } catch {}
      await rm(dir, { recursive: true, force: true });
    },
  };
}
