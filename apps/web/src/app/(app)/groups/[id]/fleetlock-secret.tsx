"use client";

import { useQuery } from "@tanstack/react-query";
import { ShownOnce } from "~/components/shown-once";
import { useTRPC } from "~/trpc/client";

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
  const config = `[identity]\ngroup = "${lockGroup}"\n\n[updates]\nstrategy = "fleet_lock"\n\n[updates.fleet_lock]\nbase_url = "${baseUrl}"`;
  return (
    <ShownOnce
      title="FleetLock base URL: copy it now"
      intro={
        <>
          Its secret is shown this once; softfleet keeps only its hash. If you lose it, rotate the secret. Replace
          &lt;control host&gt; with the address your nodes reach control at (port 3001 unless CONTROL_PORT says
          otherwise).
        </>
      }
      label="Base URL"
      value={baseUrl}
      copyLabel="Copy base URL"
      onDismiss={onDismiss}
    >
      <div className="space-y-1">
        <p className="text-xs font-medium">
          Example <code className="font-mono">/etc/zincati/config.d/55-updates-strategy.toml</code>
        </p>
        <pre className="overflow-x-auto rounded-md bg-white p-3 font-mono text-xs text-zinc-900 dark:bg-zinc-900 dark:text-zinc-100">
          {config}
        </pre>
      </div>
    </ShownOnce>
  );
}
