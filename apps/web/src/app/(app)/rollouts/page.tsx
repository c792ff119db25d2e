import type { Metadata } from "next";
import { EmptyState, PageHeader } from "~/components/ui";

export const metadata: Metadata = { title: "Rollouts" };

export default function RolloutsPage() {
  return (
    <>
      <PageHeader title="Rollouts" description="Staged soft-reboots of node groups onto a new image version." />
      <EmptyState title="No rollouts yet">
        <p>
          A rollout will soft-reboot the nodes of a group in stages, a few hosts at a time. Each rollout and its
          progress per node will be listed here.
        </p>
        <p className="mt-2">Until then, operators can soft-reboot one node at a time from its page in the fleet.</p>
      </EmptyState>
    </>
  );
}
