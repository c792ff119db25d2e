import { blocksShutdown } from "@softfleet/protocol/payloads";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { type InhibitorView, inhibitorsOf } from "./node-json";

const muted = "text-zinc-600 dark:text-zinc-400";
const bad = "font-medium text-red-700 dark:text-red-400";

const AGENT_WHO = "softfleet-agent";

function modeText(lock: InhibitorView): string {
  if (blocksShutdown(lock)) return "block: stops reboots, root's included (systemd ≥ 257)";
  if (lock.mode === "block-weak") return "block-weak: root's reboots go ahead";
  if (lock.mode === "delay" && lock.who === AGENT_WHO) return "delay: the agent reports the shutdown first";
  return lock.mode;
}

/**
 * logind's inhibitor locks on the node, as its agent last listed them. A
 * `block` lock on shutdown stops a soft-reboot: a rollout waits for it (up
 * to its plan's timeout), and an operator may skip it per node.
 */
export function NodeInhibitors({ value, systemdVersion }: { value: unknown; systemdVersion: number | null }) {
  const locks = inhibitorsOf(value);
  if (locks === null) return <p className={muted}>The agent has not reported logind&apos;s inhibitors.</p>;
  const shutdownLocks = locks.filter((lock) => lock.what.split(":").includes("shutdown"));
  const blockers = shutdownLocks.filter(blocksShutdown);
  return (
    <div className="space-y-2">
      {blockers.length > 0 ? (
        <p className={bad} role="status">
          Held: {blockers.length === 1 ? "a block inhibitor stops" : `${blockers.length} block inhibitors stop`} this
          node&apos;s reboots
          {systemdVersion !== null && systemdVersion < 257 ? " (for users other than root: systemd < 257)" : ""}.
        </p>
      ) : (
        <p className={muted}>Nothing blocks a reboot of this node now.</p>
      )}
      {shutdownLocks.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass} aria-label="Shutdown inhibitors">
            <thead>
              <tr>
                <th className={thClass}>Who</th>
                <th className={thClass}>Why</th>
                <th className={thClass}>Mode</th>
                <th className={`${thClass} text-right`}>PID</th>
                <th className={`${thClass} text-right`}>UID</th>
              </tr>
            </thead>
            <tbody>
              {shutdownLocks.map((lock) => (
                <tr key={`${lock.who}-${lock.pid}-${lock.mode}-${lock.what}`}>
                  <td className={`${tdClass} font-medium`}>{lock.who || "unnamed"}</td>
                  <td className={tdClass}>{lock.why || "—"}</td>
                  <td className={`${tdClass} ${blocksShutdown(lock) ? bad : ""}`}>{modeText(lock)}</td>
                  <td className={`${tdClass} text-right tabular-nums`}>{lock.pid ?? "—"}</td>
                  <td className={`${tdClass} text-right tabular-nums`}>{lock.uid ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
