import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const FAKE_MACHINE_ID = "0123456789abcdef0123456789abcdef";
export const FAKE_BOOT_ID = "8b2e4c3a-1f2d-4e5f-9a6b-7c8d9e0f1a2b";

/**
 * A host laid out under `root`: machine-id, boot_id, hostname, os-release and
 * a mountinfo. `stageNextroot` adds /run/nextroot as a mount point with an
 * os-release, the way an image update leaves it.
 */
export function makeFakeHost(root: string, options: { bootId?: string; imageVersion?: string } = {}) {
  const write = (path: string, content: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  write("/etc/machine-id", `${FAKE_MACHINE_ID}\n`);
  write("/proc/sys/kernel/random/boot_id", `${options.bootId ?? FAKE_BOOT_ID}\n`);
  write("/proc/sys/kernel/hostname", "node-7\n");
  write(
    "/etc/os-release",
    `PRETTY_NAME="Fleet OS"\nID=debian\nVERSION_ID="13"\nIMAGE_ID=fleet\nIMAGE_VERSION="${options.imageVersion ?? "1"}"\n`,
  );
  const mountinfo = "22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw\n25 22 0:23 / /run rw,nosuid - tmpfs tmpfs rw\n";
  write("/proc/self/mountinfo", mountinfo);
  mkdirSync(join(root, "run"), { recursive: true });
  return {
    root,
    stageNextroot(imageVersion: string) {
      write("/run/nextroot/usr/lib/os-release", `ID=debian\nIMAGE_ID=fleet\nIMAGE_VERSION=${imageVersion}\n`);
      write("/proc/self/mountinfo", `${mountinfo}40 25 7:0 / /run/nextroot ro,relatime - erofs /dev/loop0 ro\n`);
    },
    unstageNextroot() {
      rmSync(join(root, "run/nextroot"), { recursive: true, force: true });
      write("/proc/self/mountinfo", mountinfo);
    },
  };
}
