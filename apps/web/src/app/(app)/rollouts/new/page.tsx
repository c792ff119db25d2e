import type { Metadata } from "next";
import Link from "next/link";
import { can } from "~/components/roles";
import { EmptyState, PageHeader } from "~/components/ui";
import { requireUser } from "~/server/session";
import { NewRolloutForm } from "./new-rollout-form";

export const metadata: Metadata = { title: "New rollout" };

export default async function NewRolloutPage({ searchParams }: { searchParams: Promise<{ groupId?: string }> }) {
  const [{ groupId }, user] = await Promise.all([searchParams, requireUser()]);
  if (!can(user.role, "operator")) {
    return (
      <>
        <PageHeader title="New rollout" />
        <EmptyState title="Operators start rollouts">
          You are signed in as a {user.role}. An operator or admin can start a rollout;{" "}
          <Link href="/rollouts" className="text-sky-700 hover:underline dark:text-sky-400">
            the rollouts so far
          </Link>{" "}
          are open to everyone.
        </EmptyState>
      </>
    );
  }
  return <NewRolloutForm initialGroupId={typeof groupId === "string" ? groupId : ""} />;
}
