import type { Metadata } from "next";
import { can } from "~/components/roles";
import { requireUser } from "~/server/session";
import { RolloutsTable } from "./rollouts-table";

export const metadata: Metadata = { title: "Rollouts" };

export default async function RolloutsPage() {
  const user = await requireUser();
  return <RolloutsTable canStart={can(user.role, "operator")} />;
}
