"use client";

import type { RouterOutputs } from "@softfleet/api";
import type { Role } from "@softfleet/db";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmButton } from "~/components/confirm-dialog";
import { LocalTime, RelativeTime } from "~/components/time";
import { FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { CreateApiTokenForm } from "./create-api-token-form";

type ApiToken = RouterOutputs["tokens"]["list"][number];

function statusOf(token: ApiToken, now: number): "active" | "expired" | "revoked" {
  if (token.revokedAt) return "revoked";
  return token.expiresAt.getTime() <= now ? "expired" : "active";
}

function ApiTokenRow({ token, now }: { token: ApiToken; now: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions());
  const status = statusOf(token, now);
  return (
    <tr>
      <td className={tdClass}>
        <div className="font-medium">{token.name}</div>
        <div className="font-mono text-xs text-zinc-500 dark:text-zinc-400">{token.prefix}…</div>
      </td>
      <td className={tdClass}>{token.role}</td>
      <td className={tdClass}>
        <RelativeTime date={token.createdAt} />
      </td>
      <td className={tdClass}>
        <LocalTime date={token.expiresAt} />
      </td>
      <td className={tdClass}>
        <RelativeTime date={token.lastUsedAt} />
        {token.lastUsedIp && <div className="text-xs text-zinc-500 dark:text-zinc-400">from {token.lastUsedIp}</div>}
      </td>
      <td className={tdClass}>{status}</td>
      <td className={`${tdClass} text-right`}>
        {status === "active" && (
          <ConfirmButton
            label="Revoke"
            title={`Revoke API token “${token.name}”?`}
            onConfirm={async () => {
              await revoke.mutateAsync({ id: token.id });
              await queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
            }}
          >
            Whatever uses it (a pipeline, the CLI) is refused from now on.
          </ConfirmButton>
        )}
      </td>
    </tr>
  );
}

/** Every user's own tokens, for the CLI and pipelines. */
export function ApiTokensSection({ ownRole }: { ownRole: Role }) {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const now = tokens.dataUpdatedAt || Date.now();
  return (
    <>
      <p className="mb-4 max-w-prose text-zinc-600 dark:text-zinc-400">
        The <code className="font-mono">softfleet</code> CLI and your pipelines act as you with a personal API token,
        with a role up to your own. Changes made with one are audited as you, via the token.
      </p>
      <CreateApiTokenForm ownRole={ownRole} />
      <h3 className="mt-6 mb-2 font-semibold">Your API tokens</h3>
      {tokens.isPending && <p role="status">Loading API tokens…</p>}
      {tokens.error && <FormError>{errorMessage(tokens.error)}</FormError>}
      {tokens.data?.length === 0 && <p className="text-zinc-600 dark:text-zinc-400">No API tokens yet.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass}>
            <caption className="sr-only">Your API tokens</caption>
            <thead>
              <tr>
                <th className={thClass}>Name</th>
                <th className={thClass}>Role</th>
                <th className={thClass}>Created</th>
                <th className={thClass}>Expires</th>
                <th className={thClass}>Last used</th>
                <th className={thClass}>Status</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => (
                <ApiTokenRow key={token.id} token={token} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
