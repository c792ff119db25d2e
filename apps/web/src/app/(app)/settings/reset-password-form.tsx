"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

/** Sets a new password for another user; their sessions end. */
export function ResetPasswordForm({
  user,
  onDone,
}: {
  user: { id: string; username: string };
  onDone: (saved: boolean) => void;
}) {
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const reset = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: () => onDone(true) }));
  const inputId = `reset-${user.id}`;
  return (
    <form
      className="min-w-56 space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        reset.mutate({ userId: user.id, password });
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") onDone(false);
      }}
    >
      <Field
        label={`New password for ${user.username}`}
        htmlFor={inputId}
        hint="At least 10 characters. Signs them out."
      >
        <TextInput
          id={inputId}
          type="password"
          autoComplete="new-password"
          autoFocus
          required
          minLength={10}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      {reset.error && <FormError>{errorMessage(reset.error)}</FormError>}
      <div className="flex gap-2">
        <Button type="submit" disabled={reset.isPending}>
          {reset.isPending ? "Saving…" : "Save"}
        </Button>
        <Button kind="secondary" onClick={() => onDone(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
