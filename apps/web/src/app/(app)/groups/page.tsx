import type { Metadata } from "next";
import { can } from "~/components/roles";
import { requireUser } from "~/server/session";
import { GroupsView } from "./groups-view";

export const metadata: Metadata = { title: "Groups" };

export default async function GroupsPage() {
  const user = await requireUser();
  return <GroupsView canManage={can(user.role, "operator")} />;
}
