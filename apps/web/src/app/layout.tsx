import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "~/trpc/client";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "softfleet", template: "%s · softfleet" },
  description: "Soft-reboot fleets of image-based Linux hosts",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-white text-sm text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
