import type { Metadata } from "next";
import { can } from "~/components/roles";
import { requireUser } from "~/server/session";
import { NodeDetail } from "./node-detail";

export const metadata: Metadata = { title: "Node" };

export default async function NodePage({ params }: { params: Promise<{ id: string }> }) {
  const [{ id }, user] = await Promise.all([params, requireUser()]);
  return (
    <NodeDetail
      id={decodeURIComponent(id)}
      canReboot={can(user.role, "operator")}
      canAdminister={can(user.role, "admin")}
    />
  );
}
