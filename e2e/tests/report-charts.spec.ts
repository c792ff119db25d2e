import { expect, type Page, test } from "@playwright/test";
import { uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";
import { insertReboots, type RebootSpec, removeInsertedReports, utcDay } from "./report-fixtures";

test.use({ locale: "en-US", viewport: { width: 1600, height: 1000 } });
test.afterEach(removeInsertedReports);

const from = utcDay(-120);
const to = utcDay(-110);

/** Soft-reboots, full reboots and kexecs over several days, so that the trend and the histogram have something to draw. */
function reboots(): RebootSpec[] {
  const specs: RebootSpec[] = [];
  for (let i = 0; i < 24; i++) {
    const soft = i % 6 !== 5;
    const base = 1_000_000 + i * 10_000;
    specs.push({
      node: `n${i % 4}`,
      kind: soft ? "soft-reboot" : "full-reboot",
      requested: soft ? "soft-reboot" : i % 12 === 5 ? "kexec" : "reboot",
      trigger: "manual",
      at: new Date(new Date(`${from}T06:00:00Z`).getTime() + (i % 8) * 86_400_000 + i * 60_000),
      imageBefore: "e2e-1",
      imageAfter: i % 2 ? "e2e-2" : "e2e-3",
      points: {
        signal: soft ? base : null,
        shutdownStart: soft ? base + 30_000 : null,
        userspace: base + 600_000 + (i % 5) * 90_000,
        finish: base + 1_600_000 + (i % 7) * 120_000,
        agent: base + 1_900_000 + (i % 9) * 250_000,
      },
    });
  }
  return specs;
}

type Rgb = [number, number, number];

/** WCAG contrast ratio of two sRGB colours. */
function contrast(a: Rgb, b: Rgb): number {
  const luminance = ([r, g, bl]: Rgb) => {
    const lin = (c: number) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(bl);
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * CSS colours (computed styles give lab() / oklch() for Tailwind's palette) as
 * the sRGB the browser paints them in: drawn on a canvas and read back.
 */
async function painted(page: Page, colours: string[]): Promise<Map<string, Rgb>> {
  const rgb = await page.evaluate((list) => {
    const context = document.createElement("canvas").getContext("2d", { willReadFrequently: true })!;
    return list.map((colour) => {
      context.clearRect(0, 0, 1, 1);
      context.fillStyle = colour;
      context.fillRect(0, 0, 1, 1);
      const [r, g, b] = context.getImageData(0, 0, 1, 1).data;
      return [r, g, b];
    });
  }, colours);
  return new Map(colours.map((colour, i) => [colour, rgb[i] as Rgb]));
}

/**
 * The colours a reader sees in each chart: its axis ticks' text, its axis
 * lines, its legend entries' text, and the page behind them (the first opaque
 * background up the tree). Computed styles resolve `currentColor` and CSS
 * variables, so these are the painted colours.
 */
async function chartColours(page: Page) {
  return page.evaluate(() => {
    const background = (element: Element) => {
      for (let e: Element | null = element; e; e = e.parentElement) {
        const color = getComputedStyle(e).backgroundColor;
        if (color !== "transparent" && !/\/\s*0\)$|,\s*0\)$/.test(color)) return color;
      }
      return "rgb(255, 255, 255)";
    };
    return [...document.querySelectorAll("figure")].map((figure) => ({
      label: figure.getAttribute("aria-label"),
      background: background(figure),
      ticks: [...figure.querySelectorAll(".recharts-cartesian-axis-tick-value")].map((t) => getComputedStyle(t).fill),
      axisLines: [...figure.querySelectorAll(".recharts-cartesian-axis-line")].map((l) => getComputedStyle(l).stroke),
      // The innermost element holding the entry's text (a formatter may wrap it).
      legend: [...figure.querySelectorAll(".recharts-legend-item-text")].map(
        (t) => getComputedStyle([t, ...t.querySelectorAll("*")].at(-1)!).color,
      ),
    }));
  });
}

for (const colorScheme of ["light", "dark"] as const) {
  test(`the report's charts are readable in ${colorScheme} mode`, async ({ page }, testInfo) => {
    const suffix = uniqueSuffix();
    await insertReboots({
      nodes: Object.fromEntries([0, 1, 2, 3].map((i) => [`n${i}`, `e2e-charts-${suffix}-${i}`])),
      reboots: reboots(),
    });
    // Reduced motion: recharts then draws at once (no animation half-way through in a screenshot).
    await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
    await logIn(page, "viewer");
    await page.goto(`/reports?from=${from}&to=${to}`);
    const histogram = page.getByRole("figure", { name: "Distribution of total downtime" });
    await expect(histogram.locator(".recharts-bar-rectangle").first()).toBeVisible();
    await expect(page.getByRole("figure", { name: "p50 total per reboot type" }).locator(".recharts-line")).toHaveCount(
      3,
    );
    const shoot = async (region: string | RegExp, name: string) => {
      const section = page.getByRole("region", { name: region });
      await section.screenshot({ path: testInfo.outputPath(`${name}-${colorScheme}.png`) });
      if (process.env.E2E_SCREENSHOTS)
        await section.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${name}-${colorScheme}.png` });
    };
    await shoot(/Trend of the p50 total/, "trend");

    const charts = await chartColours(page);
    expect(charts.length).toBeGreaterThanOrEqual(3);
    const rgb = await painted(
      page,
      charts.flatMap((c) => [c.background, ...c.ticks, ...c.legend, ...c.axisLines]),
    );
    const ratio = (a: string, b: string) => Math.round(contrast(rgb.get(a)!, rgb.get(b)!) * 100) / 100;
    for (const chart of charts) {
      expect(chart.ticks.length, `${chart.label}: ticks`).toBeGreaterThan(0);
      expect(chart.legend.length, `${chart.label}: legend entries`).toBeGreaterThan(0);
      // Text on the page's background: at least 4.5:1 (WCAG AA), in either scheme.
      for (const text of new Set([...chart.ticks, ...chart.legend]))
        expect(ratio(text, chart.background), `${chart.label}: text ${text} on ${chart.background}`).toBeGreaterThan(
          4.5,
        );
      // Axis lines are graphics: at least 3:1 (WCAG 1.4.11).
      for (const line of new Set(chart.axisLines))
        expect(ratio(line, chart.background), `${chart.label}: axis ${line} on ${chart.background}`).toBeGreaterThan(3);
    }

    // The tooltip on a bar: its text on its own box.
    await histogram.locator(".recharts-bar-rectangle").first().hover();
    const tooltip = histogram.locator(".recharts-tooltip-wrapper > div");
    await expect(tooltip).toBeVisible();
    await shoot("Distribution of total downtime", "histogram-tooltip");
    const tip = await tooltip.evaluate((box) => ({
      color: getComputedStyle(box).color,
      background: getComputedStyle(box).backgroundColor,
    }));
    const tipRgb = await painted(page, [tip.color, tip.background]);
    expect(
      contrast(tipRgb.get(tip.color)!, tipRgb.get(tip.background)!),
      `tooltip ${tip.color} on ${tip.background}`,
    ).toBeGreaterThan(4.5);
  });
}
