import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "./errors";
import { SYSTEM_PATH } from "./run";

export type LabPrerequisites = { ok: true } | { ok: false; missing: string[]; message: string };

const INSTALL = "apt-get install -y debootstrap systemd-container";

/** What this machine lacks to run lab nodes; the test runner skips lab suites when not ok. */
export function labPrerequisites(): LabPrerequisites {
  if (process.env.SOFTFLEET_SKIP_LAB === "1") {
    return { ok: false, missing: [], message: "lab suites are switched off here (SOFTFLEET_SKIP_LAB=1)" };
  }
  if (process.platform !== "linux") {
    return { ok: false, missing: ["linux"], message: `the lab needs Linux (this is ${process.platform})` };
  }
  const missing: string[] = [];
  const fixes: string[] = [];
  if (process.getuid?.() !== 0) {
    missing.push("root");
    fixes.push("run as root (systemd-nspawn and mounts need it)");
  }
  const tools = [
    { tool: "debootstrap", fix: INSTALL },
    { tool: "systemd-nspawn", fix: INSTALL },
    { tool: "nsenter", fix: "apt-get install -y util-linux" },
    { tool: "mount", fix: "apt-get install -y mount" },
  ];
  for (const { tool, fix } of tools) {
    if (!findExecutable(tool)) {
      missing.push(tool);
      if (!fixes.includes(fix)) fixes.push(fix);
    }
  }
  if (!hasOverlayfs()) {
    missing.push("overlayfs");
    fixes.push("load the overlay kernel module (modprobe overlay)");
  }
  if (missing.length === 0) return { ok: true };
  return { ok: false, missing, message: `the lab needs ${missing.join(", ")}: ${fixes.join("; ")}` };
}

export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), ...SYSTEM_PATH.split(":")].filter(Boolean);
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

function hasOverlayfs(): boolean {
  try {
    if (/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) return true;
    // Not loaded yet is fine when the module exists: mount loads it on first use.
    const release = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
    accessSync(`/lib/modules/${release}/kernel/fs/overlayfs`);
    return true;
  } catch {
    return false;
  }
}

export function assertPrerequisites(): void {
  const check = labPrerequisites();
  if (!check.ok) throw new LabError("prerequisites", check.message);
}
