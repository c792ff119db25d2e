"use client";

import { useQuery } from "@tanstack/react-query";
import { CopyButton } from "~/components/copy-button";
import { ShownOnce } from "~/components/shown-once";
import { useTRPC } from "~/trpc/client";
import { ControlTlsNote } from "./control-tls-note";

/** The new token, shown once, with a ready-made agent configuration. */
export function CreatedToken({ token, label, onDismiss }: { token: string; label: string; onDismiss: () => void }) {
  const trpc = useTRPC();
  const fingerprint = useQuery(trpc.enrollment.controlTls.queryOptions()).data?.fingerprint ?? null;
  // With TLS, the agent pins control's certificate; without, it would refuse http:// off loopback anyway.
  const config = JSON.stringify(
    fingerprint
      ? {
          controlUrl: "https://<control host>:3001",
          pinnedFingerprint: fingerprint,
          enrollmentToken: token,
          watchUnits: [],
        }
      : { controlUrl: "http://<control host>:3001", enrollmentToken: token, watchUnits: [] },
    null,
    2,
  );
  return (
    <ShownOnce
      title={<>Token “{label}” created: copy it now</>}
      intro="It is shown this once; softfleet keeps only its hash. If you lose it, revoke it and create another."
      label="Enrollment token"
      value={token}
      copyLabel="Copy token"
      onDismiss={onDismiss}
    >
      <div className="space-y-1">
        <p className="text-xs font-medium">
          Example <code className="font-mono">/etc/softfleet/agent.json</code>
        </p>
        <pre className="overflow-x-auto rounded-md bg-white p-3 font-mono text-xs text-zinc-900 dark:bg-zinc-900 dark:text-zinc-100">
          {config}
        </pre>
        <p className="text-xs">
          Replace <code className="font-mono">&lt;control host&gt;</code> with the address at which hosts reach the
          softfleet control service (port 3001 unless CONTROL_PORT says otherwise): this browser cannot know it. List
          the services to watch across soft-reboots in <code className="font-mono">watchUnits</code>, for example{" "}
          <code className="font-mono">[&quot;nginx.service&quot;]</code>.
        </p>
        <ControlTlsNote fingerprint={fingerprint} />
        <CopyButton text={config} label="Copy configuration" />
      </div>
    </ShownOnce>
  );
}
