/**
 * Geometry of the overview's stacked bar chart, as a pure function: the template
 * (views/audit/outcome-chart.njk) draws exactly these rectangles and labels as SVG, with every
 * text escaped by nunjucks. No script, no inline style: fills are SVG attributes.
 */
import { CATEGORY_LABELS, OUTCOME_CATEGORIES, type DaySeries, type OutcomeCategory } from './audit-overview.ts';

export const CATEGORY_COLOURS: Record<OutcomeCategory, string> = {
  'executed-mi': '#2da44e',
  'executed-obo': '#0969da',
  denied: '#cf222e',
  expired: '#9a6700',
  forbidden: '#6e7781',
};

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
  /** Tooltip text (SVG <title>). */
  title: string;
}

export interface ChartLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; width: number; height: number };
  bars: ChartBar[];
  yTicks: Array<{ y: number; label: string }>;
  xLabels: Array<{ x: number; label: string }>;
  legend: Array<{ x: number; y: number; fill: string; label: string }>;
  /** One sentence for screen readers (aria-label). */
  summary: string;
}

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function outcomeChartLayout(days: readonly DaySeries[], size: { width?: number; height?: number } = {}): ChartLayout {
  const width = size.width ?? 760;
  const height = size.height ?? 300;
  const plot = { left: 44, top: 12, width: width - 56, height: height - 96 };
  const top = niceMax(Math.max(0, ...days.map((d) => d.total)));
  const slot = days.length > 0 ? plot.width / days.length : plot.width;
  const barWidth = Math.max(1, Math.floor(slot * 0.7));
  const scale = (n: number) => (n / top) * plot.height;
  const round = (n: number) => Math.round(n * 10) / 10;

  const bars: ChartBar[] = [];
  days.forEach((d, i) => {
    let base = plot.top + plot.height;
    for (const c of OUTCOME_CATEGORIES) {
      const n = d.counts[c];
      if (n === 0) continue;
      const h = scale(n);
      base -= h;
      bars.push({ x: round(plot.left + i * slot + (slot - barWidth) / 2), y: round(base), width: barWidth, height: round(h), fill: CATEGORY_COLOURS[c], title: `${d.day}: ${n} ${CATEGORY_LABELS[c].toLowerCase()}` });
    }
  });

  // Whole-number ticks: every unit up to 5, else fifths of the (1, 2 or 5 x 10^k) maximum.
  const step = top <= 5 ? 1 : top / 5;
  const yTicks = Array.from({ length: Math.round(top / step) + 1 }, (_, k) => ({ y: round(plot.top + plot.height - scale(k * step)), label: String(k * step) }));
  const every = Math.max(1, Math.ceil(days.length / 8));
  // Every `every`-th day, and the last one when it does not crowd the label before it.
  const labelled = (i: number) => i % every === 0 || (i === days.length - 1 && i % every >= every / 2);
  const xLabels = days.flatMap((d, i) => (labelled(i) ? [{ x: round(plot.left + i * slot + slot / 2), label: d.day.slice(5) }] : []));
  const legend = OUTCOME_CATEGORIES.map((c, i) => ({ x: plot.left + (i % 3) * 230, y: height - 44 + Math.floor(i / 3) * 20, fill: CATEGORY_COLOURS[c], label: CATEGORY_LABELS[c] }));
  const total = days.reduce((n, d) => n + d.total, 0);
  const summary = days.length > 0 ? `Requests per day by outcome, ${days[0]!.day} to ${days[days.length - 1]!.day}: ${total} in total` : 'No days to show';
  return { width, height, plot, bars, yTicks, xLabels, legend, summary };
}
