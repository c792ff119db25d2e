"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

/** The local accounts' form; `secondary` beside single sign-on (its button then less prominent). */
export function LoginForm({ secondary = false }: { secondary?: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: () => {
        router.replace("/fleet");
        router.refresh();
      },
    }),
  );
  return (
    <form
      className="space-y-4 rounded-lg border border-zinc-200 p-6 dark:border-zinc-800"
      onSubmit={(event) => {
        event.preventDefault();
        login.mutate({ username, password });
      }}
    >
      <Field label="Username" htmlFor="username">
        <TextInput
          id="username"
          name="username"
          autoComplete="username"
          autoFocus
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </Field>
      <Field label="Password" htmlFor="password">
        <TextInput
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      {login.error && <FormError>{errorMessage(login.error)}</FormError>}
      <Button type="submit" kind={secondary ? "secondary" : "primary"} disabled={login.isPending} className="w-full">
        {login.isPending ? "Logging in…" : "Log in"}
      </Button>
    </form>
  );
}
