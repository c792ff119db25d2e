"use client";

import type { SessionUser } from "@softfleet/api/auth";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useTRPC } from "~/trpc/client";

const links = [
  { href: "/fleet", label: "Fleet" },
  { href: "/groups", label: "Groups" },
  { href: "/rollouts", label: "Rollouts" },
  { href: "/reports", label: "Reports" },
  // Operators and admins read the audit log; the API refuses viewers.
  { href: "/audit", label: "Audit", viewers: false },
  { href: "/settings", label: "Settings" },
] as const;

export function Nav({ user }: { user: SessionUser }) {
  const pathname = usePathname();
  const router = useRouter();
  const trpc = useTRPC();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        router.replace("/login");
        router.refresh();
      },
    }),
  );
  return (
    <nav
      aria-label="Main"
      className="flex shrink-0 flex-col gap-1 border-b border-zinc-200 bg-zinc-50 p-3 md:w-52 md:border-r md:border-b-0 dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="mb-3 px-2 text-base font-semibold tracking-tight">softfleet</div>
      <ul className="flex flex-wrap gap-1 md:flex-col">
        {links
          .filter((link) => user.role !== "viewer" || !("viewers" in link))
          .map((link) => {
            const active = pathname === link.href || pathname.startsWith(`${link.href}/`);
            return (
              <li key={link.href}>
                <Link
                  href={link.href}
                  aria-current={active ? "page" : undefined}
                  className={`block rounded-md px-2 py-1.5 ${
                    active
                      ? "bg-sky-100 font-medium text-sky-900 dark:bg-sky-950 dark:text-sky-100"
                      : "text-zinc-700 hover:bg-zinc-200 dark:text-zinc-300 dark:hover:bg-zinc-800"
                  }`}
                >
                  {link.label}
                </Link>
              </li>
            );
          })}
      </ul>
      <div className="mt-auto border-t border-zinc-200 px-2 pt-3 text-xs dark:border-zinc-800">
        <div className="font-medium">{user.displayName}</div>
        <div className="text-zinc-500 dark:text-zinc-400">
          {user.username} · {user.role}
        </div>
        <button
          type="button"
          onClick={() => logout.mutate()}
          disabled={logout.isPending}
          className="mt-2 rounded-md px-0 text-sky-700 underline-offset-2 hover:underline dark:text-sky-400"
        >
          Log out
        </button>
      </div>
    </nav>
  );
}
