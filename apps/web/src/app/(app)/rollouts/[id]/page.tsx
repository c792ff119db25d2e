import type { Metadata } from "next";
import { can } from "~/components/roles";
import { requireUser } from "~/server/session";
import { RolloutDetail } from "./rollout-detail";

export const metadata: Metadata = { title: "Rollout" };

export default async function RolloutPage({ params }: { params: Promise<{ id: string }> }) {
  const [{ id }, user] = await Promise.all([params, requireUser()]);
  return <RolloutDetail id={decodeURIComponent(id)} canOperate={can(user.role, "operator")} />;
}
