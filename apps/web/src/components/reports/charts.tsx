"use client";

import type { ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  type TooltipContentProps,
  type TooltipValueType,
  XAxis,
  YAxis,
} from "recharts";
import { formatMs } from "~/components/format";
import { BAR_PHASES, PHASE_COLORS, PHASE_SHORT, phaseBarsHeight, TYPE_COLORS, TYPE_LABELS } from "./labels";

/**
 * Axes, grid, legend and hover marks in the theme's chart colours (CSS
 * variables of globals.css that follow the colour scheme), so the charts read
 * in light and dark mode alike. The series keep their own colours: only their
 * swatches carry them, the legend's text is the axes' colour.
 */
const text = "var(--chart-text)";
const axis = { stroke: text, tick: { fill: text, fontSize: 12 } };
const grid = <CartesianGrid strokeDasharray="3 3" stroke="var(--chart-grid)" />;
const legend = <Legend formatter={(value) => <span style={{ color: text }}>{value}</span>} />;
const barCursor = { fill: "var(--chart-cursor)", stroke: "none" };
const lineCursor = { stroke: text, strokeDasharray: "3 3" };

function Frame({ label, height, children }: { label: string; height: number; children: ReactNode }) {
  return (
    <figure aria-label={label} className="w-full" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        {children as React.ReactElement}
      </ResponsiveContainer>
    </figure>
  );
}

/** Exact values on hover, in a box that follows the colour scheme. */
function ExactTooltip({ active, payload, label }: TooltipContentProps<TooltipValueType, string | number>) {
  if (!active || !payload?.length) return null;
  return (
    <div className="rounded-md border border-zinc-200 bg-white px-2 py-1 text-xs text-zinc-900 shadow-sm dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100">
      <div className="mb-0.5 font-medium">{label}</div>
      {payload.map((item) => (
        <div key={String(item.dataKey)} className="flex items-center gap-1.5">
          <span aria-hidden="true" className="size-2 rounded-sm" style={{ background: item.color }} />
          {item.name}:{" "}
          <span className="tabular-nums">
            {typeof item.value === "number" && String(item.dataKey).endsWith("Ms")
              ? formatMs(item.value)
              : String(item.value)}
          </span>
        </div>
      ))}
    </div>
  );
}

export interface HistogramBucket {
  rebootType: string;
  fromMs: number;
  toMs: number;
  count: number;
}

/** How many reboots took how long, one bar series per reboot type. */
export function TotalsHistogram({ buckets }: { buckets: HistogramBucket[] }) {
  const types = [...new Set(buckets.map((b) => b.rebootType))];
  const byRange = new Map<number, Record<string, number | string>>();
  for (const bucket of buckets) {
    const row = byRange.get(bucket.fromMs) ?? { range: `${formatMs(bucket.fromMs, 0)} – ${formatMs(bucket.toMs, 0)}` };
    row[bucket.rebootType] = bucket.count;
    byRange.set(bucket.fromMs, row);
  }
  const data = [...byRange.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
  return (
    <Frame label="Distribution of total downtime" height={260}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
        {grid}
        <XAxis dataKey="range" {...axis} />
        <YAxis
          allowDecimals={false}
          {...axis}
          label={{ value: "reboots", angle: -90, position: "insideLeft", fill: text }}
        />
        <Tooltip content={ExactTooltip} cursor={barCursor} />
        {legend}
        {types.map((type) => (
          <Bar
            key={type}
            dataKey={type}
            name={TYPE_LABELS[type] ?? type}
            stackId="t"
            fill={TYPE_COLORS[type] ?? "#71717a"}
          />
        ))}
      </BarChart>
    </Frame>
  );
}

export interface PhasedNode {
  hostname: string;
  signalToShutdownMs: number | null;
  shutdownMs: number | null;
  bootMs: number | null;
  reconnectMs: number | null;
}

/** One stacked bar per node, its phases side by side, in the order given (slowest first). */
export function NodePhaseBars({ nodes }: { nodes: PhasedNode[] }) {
  return (
    <Frame label="Phases per node" height={phaseBarsHeight(nodes.length)}>
      <BarChart data={nodes} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        {grid}
        <XAxis type="number" {...axis} tickFormatter={(ms: number) => formatMs(ms, 0)} />
        <YAxis type="category" dataKey="hostname" width={140} {...axis} />
        <Tooltip content={ExactTooltip} cursor={barCursor} />
        {legend}
        {BAR_PHASES.map((phase) => (
          <Bar key={phase} dataKey={phase} name={PHASE_SHORT[phase]} stackId="p" fill={PHASE_COLORS[phase]} />
        ))}
      </BarChart>
    </Frame>
  );
}

export interface TrendPoint {
  at: Date;
  key: string | null;
  p50: number | null;
}

/** p50 of the total over time, one line per key (reboot type or image version). */
export function TrendChart({
  points,
  label,
  keyLabel,
}: {
  points: TrendPoint[];
  label: string;
  keyLabel: (key: string) => string;
}) {
  const keys = [...new Set(points.map((p) => p.key ?? "unknown"))];
  const byDay = new Map<string, Record<string, number | string | null>>();
  for (const point of points) {
    const day = point.at.toISOString().slice(0, 10);
    const row = byDay.get(day) ?? { day };
    row[`${point.key ?? "unknown"}Ms`] = point.p50;
    byDay.set(day, row);
  }
  const palette = ["#0284c7", "#dc2626", "#9333ea", "#059669", "#d97706", "#db2777", "#4f46e5"];
  return (
    <Frame label={label} height={260}>
      <LineChart data={[...byDay.values()]} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        {grid}
        <XAxis dataKey="day" {...axis} />
        <YAxis {...axis} tickFormatter={(ms: number) => formatMs(ms, 0)} width={90} />
        <Tooltip content={ExactTooltip} cursor={lineCursor} />
        {legend}
        {keys.map((key, index) => (
          <Line
            key={key}
            dataKey={`${key}Ms`}
            name={keyLabel(key)}
            stroke={TYPE_COLORS[key] ?? palette[index % palette.length]}
            connectNulls
            dot={{ fill: "var(--chart-surface)" }}
          />
        ))}
      </LineChart>
    </Frame>
  );
}
