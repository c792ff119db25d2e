import type { ReactNode } from "react";

/** Reports print on paper: without the navigation, links as plain text, charts kept whole. */
const printCss = `
@media print {
  nav[aria-label="Main"], a[href="#main"] { display: none !important; }
  main { padding: 0 !important; }
  body { background: white !important; color: black !important; }
  details > *:not(summary) { display: block !important; }
  figure, table { break-inside: avoid; }
}`;

export default function ReportsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant stylesheet, no user data */}
      <style dangerouslySetInnerHTML={{ __html: printCss }} />
      {children}
    </>
  );
}
