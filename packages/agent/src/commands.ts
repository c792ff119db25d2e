import { type AgentEvent, describeInhibitor, type LogindInhibitor } from "@softfleet/protocol";
import type { Command } from "./connection";

/** A soft-reboot command (stage commands go to stage-command.ts). */
export type RebootCommand = Command & { command: { type: "soft-reboot" } };

import { errorText, log } from "./log";
import { decideSoftReboot } from "./signals";

export interface CommandDeps {
  publish: (event: AgentEvent) => string;
  waitForAck: (id: string, timeoutMs: number) => Promise<boolean>;
  nextroot: () => { staged: boolean };
  /** The block inhibitors on shutdown that logind lists now (none when it cannot be asked: logind will say). */
  blockers: () => Promise<LogindInhibitor[]>;
  shutdownUnderWay: () => boolean;
  rebootWithFlags: (flags: bigint) => Promise<void>;
  ackTimeoutMs: number;
  /** The node's own limit on accepted reboot commands (off when absent). */
  limit?: { refusal(): string | null; accepted(): void };
}

/**
 * Answers a soft-reboot command, then carries it out. The answer is spooled
 * and sent (and its ack awaited, bounded) BEFORE logind is asked: once the
 * reboot starts, the connection may not live long enough to send it.
 * Returns the flags passed to logind, or null when refused.
 */
export async function runCommand(command: RebootCommand, deps: CommandDeps): Promise<bigint | null> {
  const blockers = await deps.blockers().catch(() => []);
  const decided = decideSoftReboot(command.command, deps.nextroot(), deps.shutdownUnderWay(), blockers);
  const limited = decided.accepted ? (deps.limit?.refusal() ?? null) : null;
  const decision = limited ? { accepted: false as const, reason: limited } : decided;
  const resultId = deps.publish({
    type: "command-result",
    commandId: command.id,
    outcome: decision.accepted ? "accepted" : "refused",
    reason: decision.accepted ? null : decision.reason,
  });
  if (!decision.accepted) {
    log.warn("command refused", { commandId: command.id, reason: decision.reason });
    return null;
  }
  deps.limit?.accepted();
  await deps.waitForAck(resultId, deps.ackTimeoutMs);
  log.info("soft-reboot requested from logind", {
    commandId: command.id,
    flags: `0x${decision.flags.toString(16)}`,
    ...(command.command.skipInhibitors
      ? { skipInhibitors: blockers.map(describeInhibitor).join("; ") || "none held" }
      : {}),
  });
  try {
    await deps.rebootWithFlags(decision.flags);
    return decision.flags;
  } catch (error) {
    // The protocol has no "failed" outcome: a second result for the same command says it did not happen.
    const skipDenied =
      command.command.skipInhibitors && /access denied|interactive authentication|inhibitor/i.test(errorText(error));
    const hint = skipDenied
      ? " (skipping block inhibitors needs polkit's org.freedesktop.login1.reboot-ignore-inhibit for the agent, even as root)"
      : "";
    const reason = `logind refused the soft-reboot: ${errorText(error)}${hint}`.slice(0, 500);
    log.error("soft-reboot failed", { commandId: command.id, reason });
    deps.publish({ type: "command-result", commandId: command.id, outcome: "refused", reason });
    return null;
  }
}
