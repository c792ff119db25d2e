import type { Metadata } from "next";
import { RolloutReportView } from "./rollout-report";

export const metadata: Metadata = { title: "Rollout report" };

export default async function RolloutReportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RolloutReportView id={decodeURIComponent(id)} />;
}
