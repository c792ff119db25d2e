import { join } from "node:path";
import * as z from "@softfleet/protocol/zod";
import { readJsonIfExists, writeFileAtomic } from "./fsutil";
import { log } from "./log";

const KEEP = 200;
const fileSchema = z.array(z.string()).check(z.maxLength(KEEP));

/**
 * The ids of the commands this node has answered, kept under /run (it
 * survives a soft-reboot, as the spool does). The gateway sends a command
 * again until its answer is stored, so an agent that restarts mid-way (the
 * soft-reboot it was asked for restarts it) must recognise one it already
 * carried out: it would otherwise soft-reboot twice.
 */
export class HandledCommands {
  private readonly file: string;
  private readonly ids: string[];

  constructor(runtimeDir: string) {
    this.file = join(runtimeDir, "handled-commands.json");
    let saved: unknown = null;
    try {
      saved = readJsonIfExists(this.file);
    } catch {
      log.warn("cannot read the handled command ids; starting afresh", { file: this.file });
    }
    const parsed = fileSchema.safeParse(saved);
    this.ids = parsed.success ? parsed.data : [];
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  /** Records `id` before the command is carried out. */
  add(id: string): void {
    this.ids.push(id);
    if (this.ids.length > KEEP) this.ids.splice(0, this.ids.length - KEEP);
    writeFileAtomic(this.file, JSON.stringify(this.ids), 0o600);
  }
}
