import type { Metadata } from "next";
import { Suspense } from "react";
import { FleetView } from "./fleet-view";

export const metadata: Metadata = { title: "Fleet" };

export default function FleetPage() {
  // The view reads its filters from the URL (useSearchParams).
  return (
    <Suspense fallback={<p role="status">Loading nodes…</p>}>
      <FleetView />
    </Suspense>
  );
}
