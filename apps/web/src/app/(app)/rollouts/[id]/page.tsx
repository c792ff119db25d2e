import type { Metadata } from "next";
import { Suspense } from "react";
import { can } from "~/components/roles";
import { requireUser } from "~/server/session";
import { RolloutDetail } from "./rollout-detail";

export const metadata: Metadata = { title: "Rollout" };

export default async function RolloutPage({ params }: { params: Promise<{ id: string }> }) {
  const [{ id }, user] = await Promise.all([params, requireUser()]);
  // The page reads which nodes it shows from the URL (useSearchParams).
  return (
    <Suspense fallback={<p role="status">Loading rollout…</p>}>
      <RolloutDetail id={decodeURIComponent(id)} canOperate={can(user.role, "operator")} />
    </Suspense>
  );
}
