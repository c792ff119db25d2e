"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef } from "react";
import { Button } from "~/components/ui";
import { useTRPC } from "~/trpc/client";
import { CopyButton } from "../../settings/copy-button";

/** The base URL with the new secret, shown once, with the Zincati configuration that uses it. */
export function FleetLockSecret({
  basePath,
  lockGroup,
  onDismiss,
}: {
  basePath: string;
  lockGroup: string;
  onDismiss: () => void;
}) {
  const trpc = useTRPC();
  // Only admins may read control's TLS state; others see https, which a deployment off loopback needs.
  const tls = useQuery({ ...trpc.enrollment.controlTls.queryOptions(), retry: false });
  const scheme = tls.data && !tls.data.fingerprint ? "http" : "https";
  const baseUrl = `${scheme}://<control host>:3001${basePath}`;
  const headingId = useId();
  const inputId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const config = `[identity]\ngroup = "${lockGroup}"\n\n[updates]\nstrategy = "fleet_lock"\n\n[updates.fleet_lock]\nbase_url = "${baseUrl}"`;
  return (
    <section
      aria-labelledby={headingId}
      className="space-y-3 rounded-lg border-2 border-amber-500 bg-amber-50 p-4 text-zinc-900 dark:border-amber-400 dark:bg-amber-950 dark:text-zinc-100"
    >
      <h3 id={headingId} ref={headingRef} tabIndex={-1} className="font-semibold">
        FleetLock base URL: copy it now
      </h3>
      <p>
        Its secret is shown this once; softfleet keeps only its hash. If you lose it, rotate the secret. Replace
        &lt;control host&gt; with the address your nodes reach control at (port 3001 unless CONTROL_PORT says
        otherwise).
      </p>
      <div className="space-y-1">
        <label htmlFor={inputId} className="block text-xs font-medium">
          Base URL
        </label>
        <div className="flex flex-wrap items-center gap-2">
          <input
            id={inputId}
            readOnly
            value={baseUrl}
            onFocus={(event) => event.target.select()}
            className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 font-mono text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
          />
          <CopyButton text={baseUrl} label="Copy base URL" />
        </div>
      </div>
      <div className="space-y-1">
        <p className="text-xs font-medium">
          Example <code className="font-mono">/etc/zincati/config.d/55-updates-strategy.toml</code>
        </p>
        <pre className="overflow-x-auto rounded-md bg-white p-3 font-mono text-xs text-zinc-900 dark:bg-zinc-900 dark:text-zinc-100">
          {config}
        </pre>
      </div>
      <Button kind="secondary" onClick={onDismiss}>
        I have copied it
      </Button>
    </section>
  );
}
