"use client";

import { Button } from "~/components/ui";

const linkClass =
  "inline-flex items-center rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-900 hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800";

/** Download the report's rows as CSV or JSON, or print it. Hidden when printing. */
export function ExportLinks({ href }: { href: string }) {
  const join = href.includes("?") ? "&" : "?";
  return (
    <div className="flex flex-wrap gap-2 print:hidden">
      <a className={linkClass} href={`${href}${join}format=csv`} download>
        Export CSV
      </a>
      <a className={linkClass} href={`${href}${join}format=json`} download>
        Export JSON
      </a>
      <Button kind="secondary" onClick={() => window.print()}>
        Print
      </Button>
    </div>
  );
}
