import { systemdLimits } from "@softfleet/protocol/payloads";
import Link from "next/link";
import type { ReactNode } from "react";
import { RelativeTime } from "~/components/time";
import type { NodeData } from "./node-detail";
import { labelEntries } from "./node-json";

const dt = "text-zinc-500 dark:text-zinc-400";
const mono = "font-mono text-xs break-all";
const none = <span className="text-zinc-500 dark:text-zinc-400">—</span>;

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className={dt}>{label}</dt>
      <dd>{children === null || children === undefined || children === false || children === "" ? none : children}</dd>
    </>
  );
}

/** The version, and what an older systemd cannot do for softfleet. */
function SystemdVersion({ version }: { version: number }) {
  const limits = systemdLimits(version);
  if (limits.length === 0) return <span>{version}</span>;
  return (
    <div>
      <span>{version}</span>
      <ul className="mt-1 list-disc pl-5 text-amber-800 dark:text-amber-300" aria-label="What this systemd lacks">
        {limits.map((limit) => (
          <li key={limit}>{limit}</li>
        ))}
      </ul>
    </div>
  );
}

export function NodeIdentity({ node }: { node: NodeData }) {
  const labels = labelEntries(node.labels);
  return (
    <div className="grid gap-x-10 gap-y-4 lg:grid-cols-2">
      <dl className="grid grid-cols-[max-content_1fr] content-start gap-x-4 gap-y-1">
        <Item label="Machine ID">
          {node.machineId === null ? (
            <span className="text-zinc-500 dark:text-zinc-400">shown to operators and admins</span>
          ) : (
            <span className={mono}>{node.machineId}</span>
          )}
        </Item>
        <Item label="Boot ID">{node.bootId && <span className={mono}>{node.bootId}</span>}</Item>
        <Item label="OS">{node.osId && `${node.osId}${node.osVersionId ? ` ${node.osVersionId}` : ""}`}</Item>
        <Item label="IMAGE_ID">{node.imageId && <span className={mono}>{node.imageId}</span>}</Item>
        <Item label="IMAGE_VERSION">{node.imageVersion && <span className={mono}>{node.imageVersion}</span>}</Item>
        <Item label="systemd">{node.systemdVersion !== null && <SystemdVersion version={node.systemdVersion} />}</Item>
        <Item label="Agent">{node.agentVersion && <span className={mono}>{node.agentVersion}</span>}</Item>
        <Item label="Simulated">{node.simulated ? "Yes: the fleet simulator runs this node" : "No"}</Item>
      </dl>
      <dl className="grid grid-cols-[max-content_1fr] content-start gap-x-4 gap-y-1">
        <Item label="New image staged">
          {node.nextrootStaged ? (
            <span>
              Yes, at /run/nextroot
              {node.nextrootImageVersion && (
                <>
                  : IMAGE_VERSION <span className={mono}>{node.nextrootImageVersion}</span>
                </>
              )}
            </span>
          ) : (
            "No (nothing at /run/nextroot)"
          )}
        </Item>
        <Item label="SoftRebootsCount">
          {node.softRebootsCount !== null && (
            <span title="Soft-reboots since the last full boot" className="tabular-nums">
              {node.softRebootsCount}
            </span>
          )}
        </Item>
        <Item label="Labels">
          {labels.length > 0 && (
            <ul className="flex flex-wrap gap-1">
              {labels.map(([key, value]) => (
                <li
                  key={key}
                  className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200"
                >
                  {key}={value}
                </li>
              ))}
            </ul>
          )}
        </Item>
        <Item label="Groups">
          {node.memberships.length > 0 &&
            node.memberships.map((m, i) => (
              <span key={m.group.id}>
                {i > 0 && ", "}
                <Link href={`/groups/${m.group.id}`} className="text-sky-700 hover:underline dark:text-sky-400">
                  {m.group.name}
                </Link>
              </span>
            ))}
        </Item>
        <Item label="Enrolled">
          <RelativeTime date={node.enrolledAt} fallback="not enrolled" />
        </Item>
        <Item label="Connected">
          <RelativeTime date={node.connectedAt} />
        </Item>
        <Item label="Last seen">
          <RelativeTime date={node.lastSeenAt} />
        </Item>
        {node.reenrollAllowedUntil && new Date(node.reenrollAllowedUntil) > new Date() && (
          <Item label="Re-enrollment">
            allowed once, until <RelativeTime date={node.reenrollAllowedUntil} />
          </Item>
        )}
        {node.revokedAt && (
          <Item label="Revoked">
            <RelativeTime date={node.revokedAt} />
          </Item>
        )}
      </dl>
    </div>
  );
}
