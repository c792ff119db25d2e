"use client";

import dynamic from "next/dynamic";
import type { PhasedNode } from "./charts";
import { phaseBarsHeight } from "./labels";

/**
 * The reports' charts, loaded apart from the page (recharts is the
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

const LazyNodePhaseBars = dynamic(() => import("./charts").then((m) => m.NodePhaseBars), { ssr: false });

/** The phases-per-node chart, its height kept while it loads. */
export function NodePhaseBars({ nodes }: { nodes: PhasedNode[] }) {
  return (
    <div style={{ minHeight: phaseBarsHeight(nodes.length) }}>
      <LazyNodePhaseBars nodes={nodes} />
    </div>
  );
}
