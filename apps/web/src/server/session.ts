import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { contextFromHeaders } from "./context";

/** The signed-in user for a server component, or a redirect to the login page. */
export async function requireUser() {
  const ctx = await contextFromHeaders(await headers());
  if (!ctx.session) redirect("/login");
  return ctx.session.user;
}

export async function currentUser() {
  const ctx = await contextFromHeaders(await headers());
  return ctx.session?.user ?? null;
}
