import type { Metadata } from "next";
import { EmptyState, PageHeader } from "~/components/ui";

export const metadata: Metadata = { title: "Reports" };

export default function ReportsPage() {
  return (
    <>
      <PageHeader title="Reports" description="How much downtime soft-reboots cost, measured per host." />
      <EmptyState title="No reports yet">
        <p>
          Reports will show the downtime each soft-reboot caused, summed up per rollout, per node group and per image
          version.
        </p>
        <p className="mt-2">
          Until then, each node&apos;s page shows its reboot records: the phases of every soft-reboot and which services
          survived it.
        </p>
      </EmptyState>
    </>
  );
}
