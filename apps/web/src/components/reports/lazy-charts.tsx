"use client";

import dynamic from "next/dynamic";

/**
 * The fleet report's charts, loaded apart from the page (recharts is the
 * largest part of a report page's JavaScript): the figures and the controls
 * hydrate and show without waiting for it, and each chart keeps its place
 * (260 px, the charts' height) while it loads.
 */
function ChartSpace() {
  return <div aria-hidden="true" className="w-full" style={{ height: 260 }} />;
}

export const TrendChart = dynamic(() => import("./charts").then((m) => m.TrendChart), {
  ssr: false,
  loading: ChartSpace,
});

export const TotalsHistogram = dynamic(() => import("./charts").then((m) => m.TotalsHistogram), {
  ssr: false,
  loading: ChartSpace,
});
