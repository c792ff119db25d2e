import type { Metadata } from "next";
import { NodeHistoryView } from "./node-history";

export const metadata: Metadata = { title: "Node reboot history" };

export default async function NodeReportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <NodeHistoryView id={decodeURIComponent(id)} />;
}
