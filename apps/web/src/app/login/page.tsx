import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "~/server/session";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Log in" };
export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await currentUser()) redirect("/fleet");
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm">
        <h1 className="mb-1 text-2xl font-semibold tracking-tight">softfleet</h1>
        <p className="mb-6 text-zinc-600 dark:text-zinc-400">Log in to steer your fleet's soft-reboots.</p>
        <LoginForm />
      </div>
    </main>
  );
}
