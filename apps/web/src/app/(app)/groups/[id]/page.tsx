import type { Metadata } from "next";
import { can } from "~/components/roles";
import { requireUser } from "~/server/session";
import { GroupDetail } from "./group-detail";

export const metadata: Metadata = { title: "Group" };

export default async function GroupPage({ params }: { params: Promise<{ id: string }> }) {
  const [{ id }, user] = await Promise.all([params, requireUser()]);
  return <GroupDetail id={decodeURIComponent(id)} canManage={can(user.role, "operator")} />;
}
