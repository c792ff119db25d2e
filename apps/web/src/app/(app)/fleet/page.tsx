import type { Metadata } from "next";
import { FleetTable } from "./fleet-table";

export const metadata: Metadata = { title: "Fleet" };

export default function FleetPage() {
  return <FleetTable />;
}
