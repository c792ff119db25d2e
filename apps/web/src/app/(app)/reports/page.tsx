import type { Metadata } from "next";
import { FleetReportView } from "./fleet-report";
import { rangeDays } from "./range";

export const metadata: Metadata = { title: "Reports" };

export default async function ReportsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const search = await searchParams;
  const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return <FleetReportView days={rangeDays({ from: one(search.from), to: one(search.to), group: one(search.group) })} />;
}
