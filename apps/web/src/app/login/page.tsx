import type { Metadata } from "next";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { FormError } from "~/components/ui";
import { currentUser } from "~/server/session";
import { ERROR_COOKIE, oidcConfig, readErrorCookie } from "~/server/sso";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Log in" };
export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await currentUser()) redirect("/fleet");
  const sso = oidcConfig();
  const ssoError = readErrorCookie((await cookies()).get(ERROR_COOKIE)?.value);
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm">
        <h1 className="mb-1 text-2xl font-semibold tracking-tight">softfleet</h1>
        <p className="mb-6 text-zinc-600 dark:text-zinc-400">Log in to steer your fleet's soft-reboots.</p>
        {ssoError && (
          <div className="mb-4">
            <FormError>{ssoError}</FormError>
          </div>
        )}
        {sso && (
          <div className="mb-6">
            {/* A plain link: the sign-in is a chain of top-level navigations through the provider. */}
            <a
              href="/api/auth/oidc/login"
              className="inline-flex w-full items-center justify-center rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800"
            >
              Sign in with {sso.displayName}
            </a>
          </div>
        )}
        {sso && (
          <h2 className="mb-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">
            Local account (break-glass, when single sign-on is unavailable)
          </h2>
        )}
        <LoginForm secondary={Boolean(sso)} />
      </div>
    </main>
  );
}
