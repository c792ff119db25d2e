"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { ConfirmButton } from "~/components/confirm-dialog";
import { LocalTime, RelativeTime } from "~/components/time";
import { FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { ControlTlsNote } from "./control-tls-note";
import { CreateTokenForm } from "./create-token-form";
import { type EnrollmentToken, type TokenStatus, tokenStatus, useInvalidateTokens } from "./use-tokens";

const statusClass: Record<TokenStatus, string> = {
  active: "text-green-800 dark:text-green-300",
  expired: "text-zinc-600 dark:text-zinc-400",
  revoked: "text-red-700 dark:text-red-400",
  "used up": "text-zinc-600 dark:text-zinc-400",
};

function TokenRow({ token, now }: { token: EnrollmentToken; now: number }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateTokens();
  const revoke = useMutation(trpc.enrollment.revoke.mutationOptions());
  const status = tokenStatus(token, now);
  return (
    <tr>
      <td className={tdClass}>
        <div className="font-medium">{token.label}</div>
        {(token.hostnamePattern || Object.keys(token.labels as object).length > 0) && (
          <div className="text-xs text-zinc-500 dark:text-zinc-400">
            {token.hostnamePattern && <span className="font-mono">{token.hostnamePattern}</span>}
            {token.hostnamePattern && Object.keys(token.labels as object).length > 0 && " · "}
            {Object.entries(token.labels as Record<string, string>)
              .map(([key, value]) => `${key}=${value}`)
              .join(", ")}
          </div>
        )}
      </td>
      <td className={tdClass}>
        <RelativeTime date={token.createdAt} />
      </td>
      <td className={tdClass}>
        <LocalTime date={token.expiresAt} />
      </td>
      <td className={`${tdClass} text-right tabular-nums`}>
        {token.uses} / {token.maxUses ?? <span title="unlimited">∞</span>}
      </td>
      <td className={`${tdClass} ${statusClass[status]}`}>{status}</td>
      <td className={`${tdClass} text-right`}>
        {status === "active" && (
          <ConfirmButton
            label="Revoke"
            title={`Revoke token “${token.label}”?`}
            onConfirm={async () => {
              await revoke.mutateAsync({ tokenId: token.id });
              await invalidate();
            }}
          >
            Hosts can no longer enroll with it. Nodes that already enrolled with it stay in the fleet.
          </ConfirmButton>
        )}
      </td>
    </tr>
  );
}

/** Admins only: the page renders this for admins, and the API refuses everyone else. */
export function EnrollmentSection() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.enrollment.list.queryOptions());
  const tls = useQuery(trpc.enrollment.controlTls.queryOptions());
  const now = tokens.dataUpdatedAt || Date.now();
  return (
    <>
      <p className="mb-4 max-w-prose text-zinc-600 dark:text-zinc-400">
        A host&apos;s softfleet agent presents an enrollment token once to join the fleet; afterwards it uses its own
        credential. Give each batch of hosts its own token, and revoke tokens you no longer need.
      </p>
      {tls.data && (
        <div className="mb-4 max-w-prose">
          <ControlTlsNote fingerprint={tls.data.fingerprint} />
        </div>
      )}
      <CreateTokenForm />
      <h3 className="mt-6 mb-2 font-semibold">Tokens</h3>
      {tokens.isPending && <p role="status">Loading tokens…</p>}
      {tokens.error && <FormError>{errorMessage(tokens.error)}</FormError>}
      {tokens.data?.length === 0 && <p className="text-zinc-600 dark:text-zinc-400">No enrollment tokens yet.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass}>
            <caption className="sr-only">Enrollment tokens</caption>
            <thead>
              <tr>
                <th className={thClass}>Label</th>
                <th className={thClass}>Created</th>
                <th className={thClass}>Expires</th>
                <th className={`${thClass} text-right`}>Uses / max</th>
                <th className={thClass}>Status</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => (
                <TokenRow key={token.id} token={token} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
