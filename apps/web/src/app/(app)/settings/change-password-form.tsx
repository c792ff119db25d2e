"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrentPassword("");
        setNewPassword("");
        setConfirm("");
      },
    }),
  );

  return (
    <form
      aria-label="Change password"
      className="grid max-w-sm gap-3"
      onSubmit={(event) => {
        event.preventDefault();
        change.reset();
        const differs = newPassword !== confirm;
        setMismatch(differs);
        if (!differs) change.mutate({ currentPassword, newPassword });
      }}
    >
      <Field label="Current password" htmlFor="current-password">
        <TextInput
          id="current-password"
          type="password"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={(e) => setCurrentPassword(e.target.value)}
        />
      </Field>
      <Field label="New password" htmlFor="new-password" hint="At least 10 characters.">
        <TextInput
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={newPassword}
          onChange={(e) => setNewPassword(e.target.value)}
        />
      </Field>
      <Field label="Confirm new password" htmlFor="confirm-password">
        <TextInput
          id="confirm-password"
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch || undefined}
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
      </Field>
      {mismatch && <FormError>The new password and its confirmation do not match.</FormError>}
      {change.error && <FormError>{errorMessage(change.error)}</FormError>}
      {change.isSuccess && (
        <p role="status" className="text-green-800 dark:text-green-300">
          Password changed. Your other sessions were signed out.
        </p>
      )}
      <div>
        <Button type="submit" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </Button>
      </div>
    </form>
  );
}
