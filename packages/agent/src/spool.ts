import { mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { type AgentMessage, agentMessage, messageId } from "@softfleet/protocol";
import { isTemporaryName, writeFileAtomic } from "./fsutil";
import { log } from "./log";

export type EventMessage = Extract<AgentMessage, { kind: "event" }>;

/**
 * Events on their way to the control plane. Each is written to its own file
 * (atomically, fsynced) before it is sent, and removed only when the server
 * acks its id, so an event survives a dropped connection, an agent restart
 * and a soft-reboot (the spool is under /run, which is carried over).
 * Files are named by event id, and ids sort in the order the events were made.
 */
export class Spool {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.removeTemporaryFiles();
  }

  /** Writes the event durably. Writing the same id again replaces it (ids are deterministic for records). */
  put(message: EventMessage): void {
    writeFileAtomic(this.fileOf(message.id), JSON.stringify(message), 0o600);
  }

  /** Drops acked events; unknown ids are ignored (an ack may arrive twice). */
  ack(ids: readonly string[]): void {
    for (const id of ids) {
      if (!messageId.safeParse(id).success) continue;
      try {
        unlinkSync(this.fileOf(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  }

  /** Pending events, oldest first. Files that do not parse are set aside, not replayed forever. */
  pending(): EventMessage[] {
    const events: EventMessage[] = [];
    for (const name of this.names()) {
      const file = join(this.dir, name);
      try {
        const parsed = agentMessage.safeParse(JSON.parse(readFileSync(file, "utf8")));
        if (parsed.success && parsed.data.kind === "event" && `${parsed.data.id}.json` === name) {
          events.push(parsed.data);
          continue;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      }
      log.warn("spool: dropping an unreadable event file", { file });
      unlinkSync(file);
    }
    return events;
  }

  has(id: string): boolean {
    return this.names().includes(`${id}.json`);
  }

  private names(): string[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(".json") && !isTemporaryName(name))
      .sort();
  }

  private fileOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** A crash between write and rename leaves a temporary file: it never became an event. */
  private removeTemporaryFiles(): void {
    for (const name of readdirSync(this.dir)) {
      if (isTemporaryName(name)) unlinkSync(join(this.dir, name));
    }
  }
}
