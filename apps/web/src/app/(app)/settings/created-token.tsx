"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef } from "react";
import { Button } from "~/components/ui";
import { useTRPC } from "~/trpc/client";
import { ControlTlsNote } from "./control-tls-note";
import { CopyButton } from "./copy-button";

/** The new token, shown once, with a ready-made agent configuration. */
export function CreatedToken({ token, label, onDismiss }: { token: string; label: string; onDismiss: () => void }) {
  const trpc = useTRPC();
  const fingerprint = useQuery(trpc.enrollment.controlTls.queryOptions()).data?.fingerprint ?? null;
  const headingId = useId();
  const inputId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
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
    <section
      aria-labelledby={headingId}
      className="mb-6 max-w-3xl space-y-3 rounded-lg border-2 border-amber-500 bg-amber-50 p-4 text-zinc-900 dark:border-amber-400 dark:bg-amber-950 dark:text-zinc-100"
    >
      <h3 id={headingId} ref={headingRef} tabIndex={-1} className="font-semibold">
        Token “{label}” created: copy it now
      </h3>
      <p>It is shown this once; softfleet keeps only its hash. If you lose it, revoke it and create another.</p>
      <div className="space-y-1">
        <label htmlFor={inputId} className="block text-xs font-medium">
          Enrollment token
        </label>
        <div className="flex flex-wrap items-center gap-2">
          <input
            id={inputId}
            readOnly
            value={token}
            onFocus={(event) => event.target.select()}
            className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 font-mono text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
          />
          <CopyButton text={token} label="Copy token" />
        </div>
      </div>
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
      <Button kind="secondary" onClick={onDismiss}>
        Done, I have copied it
      </Button>
    </section>
  );
}
