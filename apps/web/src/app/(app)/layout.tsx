import type { ReactNode } from "react";
import { requireUser } from "~/server/session";
import { Nav } from "./nav";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <div className="flex min-h-screen flex-col md:flex-row">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <Nav user={user} />
      <main id="main" className="min-w-0 flex-1 p-4 md:p-6">
        {children}
      </main>
    </div>
  );
}
