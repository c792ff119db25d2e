import type { RouterOutputs } from "@softfleet/api";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { networkOf } from "./node-json";

const muted = "text-zinc-600 dark:text-zinc-400";
const warn = "font-medium text-amber-800 dark:text-amber-300";
const bad = "font-medium text-red-700 dark:text-red-400";

/**
 * What networkd does with a link's configuration when it stops and starts
 * again, as in a soft-reboot (systemd.network(5), KeepConfiguration=).
 */
export function keepConfigurationText(value: string | null): { text: string; keeps: boolean } {
  switch (value) {
    case "yes":
      return { text: "yes: static and dynamic addresses kept", keeps: true };
    case "static":
      return { text: "static: static addresses kept", keeps: true };
    case "dynamic":
    case "dhcp":
      return { text: `${value}: dynamic (DHCP) addresses kept`, keeps: true };
    case "dynamic-on-stop":
    case "dhcp-on-stop":
      return { text: `${value}: dynamic addresses kept while networkd is stopped`, keeps: true };
    default:
      return { text: `${value ?? "not set"}: networkd reconfigures the link when it starts again`, keeps: false };
  }
}

/** The links systemd-networkd manages on the node, live, with what a soft-reboot keeps of them. */
export function NodeNetwork({ value }: { value: unknown }) {
  const links = networkOf(value);
  if (links === null) return null;
  if (links.length === 0) return <p className={muted}>systemd-networkd manages no link on this node.</p>;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label="Network links">
        <thead>
          <tr>
            <th className={thClass}>Link</th>
            <th className={thClass}>Addresses</th>
            <th className={thClass}>State</th>
            <th className={thClass}>KeepConfiguration</th>
            <th className={`${thClass} text-right`}>Carrier losses</th>
          </tr>
        </thead>
        <tbody>
          {links.map((link) => {
            const keep = keepConfigurationText(link.keepConfiguration);
            return (
              <tr key={link.name}>
                <td className={`${tdClass} font-mono text-xs`} title={link.networkFile ?? undefined}>
                  {link.name}
                </td>
                <td className={`${tdClass} font-mono text-xs`}>{link.addresses.join(", ") || "—"}</td>
                <td className={tdClass}>{link.operState}</td>
                <td className={`${tdClass} ${keep.keeps ? "" : warn}`}>{keep.text}</td>
                <td className={`${tdClass} text-right tabular-nums`}>{link.carrierDownCount ?? "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

type RecordNetworkLinks = RouterOutputs["nodes"]["rebootRecords"][number]["network"];

const outcomeText: Record<string, string> = {
  kept: "kept its addresses",
  changed: "addresses changed",
  "went-down": "went down",
  gone: "gone",
  new: "new",
};

/** What became of each managed link in one reboot: its addresses before and after, and whether it went down. */
export function RecordNetwork({ links, label }: { links: RecordNetworkLinks; label: string }) {
  if (!links || links.length === 0) return null;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label={`Network in the ${label}`}>
        <thead>
          <tr>
            <th className={thClass}>Link</th>
            <th className={thClass}>Outcome</th>
            <th className={thClass}>Addresses before → after</th>
            <th className={thClass}>KeepConfiguration</th>
          </tr>
        </thead>
        <tbody>
          {links.map((link) => {
            const keep = (link.after ?? link.before)?.keepConfiguration ?? null;
            return (
              <tr key={link.name}>
                <td className={`${tdClass} font-mono text-xs`}>{link.name}</td>
                <td className={`${tdClass} ${link.outcome === "kept" || link.outcome === "new" ? "" : bad}`}>
                  {outcomeText[link.outcome] ?? link.outcome}
                </td>
                <td className={`${tdClass} font-mono text-xs`}>
                  {link.before?.addresses.join(", ") || "—"} → {link.after?.addresses.join(", ") || "—"}
                </td>
                <td className={tdClass}>{keep ?? "not set"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
