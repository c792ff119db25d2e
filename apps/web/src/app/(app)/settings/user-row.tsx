"use client";

import type { RouterOutputs } from "@softfleet/api";
import type { Role } from "@softfleet/db";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton } from "~/components/confirm-dialog";
import { ROLE_OPTIONS } from "~/components/roles";
import { RelativeTime } from "~/components/time";
import { Button, FormError, Select, tdClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { ResetPasswordForm } from "./reset-password-form";
import { useInvalidateUsers } from "./use-users";

type User = RouterOutputs["users"]["list"][number];

export function UserRow({ user, isSelf }: { user: User; isSelf: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const [resetting, setResetting] = useState(false);
  const [notice, setNotice] = useState("");
  const [returned, setReturned] = useState(false);
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSettled: invalidate }));
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(trpc.users.delete.mutationOptions());
  const error = setRole.error ?? setDisabled.error;
  const disabled = user.disabledAt !== null;

  return (
    <tr className={disabled ? "text-zinc-500 dark:text-zinc-400" : undefined}>
      <td className={`${tdClass} font-medium`}>
        {user.username}
        {isSelf && <span className="ml-1 text-xs font-normal text-zinc-500 dark:text-zinc-400">(you)</span>}
      </td>
      <td className={tdClass}>{user.displayName}</td>
      <td className={tdClass}>
        {isSelf ? (
          user.role
        ) : (
          <>
            <label htmlFor={`role-${user.id}`} className="sr-only">
              Role for {user.username}
            </label>
            <Select
              id={`role-${user.id}`}
              value={user.role}
              disabled={setRole.isPending}
              onChange={(e) => {
                setDisabled.reset();
                setRole.mutate({ userId: user.id, role: e.target.value as Role });
              }}
            >
              {ROLE_OPTIONS.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </Select>
          </>
        )}
      </td>
      <td className={tdClass}>
        {disabled ? (
          <span title={user.disabledAt?.toLocaleString()}>Disabled</span>
        ) : (
          <span className="text-green-800 dark:text-green-300">Active</span>
        )}
      </td>
      <td className={tdClass}>
        <RelativeTime date={user.createdAt} />
      </td>
      <td className={tdClass}>
        {isSelf ? (
          <span className="text-xs text-zinc-500 dark:text-zinc-400">Another admin manages your account.</span>
        ) : resetting ? (
          <ResetPasswordForm
            user={user}
            onDone={(saved) => {
              setResetting(false);
              setReturned(true);
              setNotice(saved ? `Password reset; ${user.username} was signed out everywhere.` : "");
            }}
          />
        ) : (
          <div className="flex flex-wrap justify-end gap-1.5">
            <Button
              kind="secondary"
              disabled={setDisabled.isPending}
              onClick={() => {
                setRole.reset();
                setDisabled.mutate({ userId: user.id, disabled: !disabled });
              }}
            >
              {disabled ? "Enable" : "Disable"}
            </Button>
            <Button
              kind="secondary"
              autoFocus={returned}
              onClick={() => {
                setNotice("");
                setResetting(true);
              }}
            >
              Reset password
            </Button>
            <ConfirmButton
              label="Delete"
              title={`Delete user “${user.username}”?`}
              onConfirm={async () => {
                await remove.mutateAsync({ userId: user.id });
                await invalidate();
              }}
            >
              {user.displayName} loses access at once. Their audit log entries stay, under their name. This cannot be
              undone; to keep the account for later, disable it instead.
            </ConfirmButton>
          </div>
        )}
        {notice && !resetting && (
          <p role="status" className="mt-1.5 text-xs text-green-800 dark:text-green-300">
            {notice}
          </p>
        )}
        {error && (
          <div className="mt-1.5">
            <FormError>{errorMessage(error)}</FormError>
          </div>
        )}
      </td>
    </tr>
  );
}
