/**
 * Inline SVG charts for the report: line charts (training curves) and a scatter plot (embeddings).
 * No external references: the SVG is meant to sit inside HTML (no xmlns needed there).
 */
import { esc, fmt } from './escape.js';
import { maxOf, minOf } from '../util/array.js';
import { emaSmooth } from './smooth.js';

/** Categorical colours (Tableau 10 and a second, lighter set), then evenly spaced hues. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5', '#393b79'];

export function color(i: number): string {
  return i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)} 60% 50%)`;
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - d, lo + d, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/**
 * Ticks for a log axis over [lo, hi] (both > 0): powers of ten when they give at least 3 ticks,
 * else 1-2-5 multiples, else 1..9 multiples; a range within one such step gets linear nice ticks.
 */
export function logTicks(lo: number, hi: number): number[] {
  const d0 = Math.floor(Math.log10(lo)), d1 = Math.ceil(Math.log10(hi));
  for (const mults of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const t: number[] = [];
    for (let d = d0; d <= d1; d++) for (const m of mults) {
      const v = Number((m * 10 ** d).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push(v);
    }
    if (t.length >= 3 || (mults.length === 9 && t.length >= 2)) return t;
  }
  return niceTicks(lo, hi).filter((v) => v > 0);
}

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite y values break the line. */
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Draw at most this many points per series (evenly strided, the last kept). */
  maxPoints?: number;
  /**
   * EMA weight (smooth.ts) for series of at least MIN_SMOOTHED points: the smoothed line is drawn
   * over the raw one, which stays faint behind it. 0 or absent: raw lines only.
   */
  smoothing?: number;
  /** Logarithmic y axis (when every value is positive; otherwise linear, and the title says why). */
  logY?: boolean;
}

/** Shorter series are drawn raw: a few epochs are not noisy, and an EMA would only lag them. */
export const MIN_SMOOTHED = 10;

function thin<T>(a: readonly T[], max: number): T[] {
  if (a.length <= max) return [...a];
  const k = Math.ceil(a.length / max);
  const out = a.filter((_, i) => i % k === 0);
  if ((a.length - 1) % k !== 0) out.push(a[a.length - 1]);
  return out;
}

const W = 520, H = 300, M = { left: 62, right: 16, top: 30, bottom: 44 };

/** A line chart with axes, ticks, labels and (for several series) a legend. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? W, height = o.height ?? H;
  const series = o.series.map((s) => {
    const pts = s.points.filter(([x]) => Number.isFinite(x));
    const w = o.smoothing ?? 0;
    const smooth = w > 0 && pts.filter(([, y]) => Number.isFinite(y)).length >= MIN_SMOOTHED ? emaSmooth(pts.map(([, y]) => y), w) : null;
    // Smoothed on every point, then thinned together with the raw points.
    const both = thin(pts.map(([x, y], i) => [x, y, smooth ? smooth[i] : y] as [number, number, number]), o.maxPoints ?? 2000);
    return { name: s.name, points: both.map(([x, y]) => [x, y] as [number, number]), smoothed: smooth ? both.map(([x, , v]) => [x, v] as [number, number]) : null };
  });
  const all = series.flatMap((s) => s.points);
  const ys = all.map(([, y]) => y).filter(Number.isFinite), xs = all.map(([x]) => x);
  const logImpossible = Boolean(o.logY) && ys.some((y) => y <= 0);
  const logY = Boolean(o.logY) && !logImpossible;
  const title = logImpossible ? `${o.title} (linear: values <= 0)` : o.title;
  const legendH = series.length > 1 ? 16 * series.length : 0;
  const pw = width - M.left - M.right, ph = height - M.top - M.bottom - legendH;
  const parts: string[] = [`<svg class="chart line-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
    `<text class="title" x="${width / 2}" y="18" text-anchor="middle">${esc(title)}</text>`];
  if (ys.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join('');
  }
  const xt = niceTicks(minOf(xs), maxOf(xs)), yt = logY ? logTicks(minOf(ys), maxOf(ys)) : niceTicks(minOf(ys), maxOf(ys));
  const ty = (y: number) => (logY ? Math.log10(y) : y);
  const [x0, x1] = [minOf(xs, xt[0]), maxOf(xs, xt[xt.length - 1])];
  const [y0, y1] = [ty(minOf(ys, yt[0])), ty(maxOf(ys, yt[yt.length - 1]))];
  const sx = (x: number) => M.left + (x1 > x0 ? ((x - x0) / (x1 - x0)) * pw : pw / 2);
  const sy = (y: number) => M.top + ph - (y1 > y0 ? ((ty(y) - y0) / (y1 - y0)) * ph : ph / 2);
  const r = (v: number) => v.toFixed(1);
  parts.push(`<g class="grid">`);
  for (const t of yt) parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${r(sy(t))}" y2="${r(sy(t))}"/><text class="tick" x="${M.left - 6}" y="${r(sy(t) + 4)}" text-anchor="end">${esc(fmt(t))}</text>`);
  for (const t of xt) parts.push(`<line x1="${r(sx(t))}" x2="${r(sx(t))}" y1="${M.top}" y2="${M.top + ph}"/><text class="tick" x="${r(sx(t))}" y="${M.top + ph + 16}" text-anchor="middle">${esc(fmt(t))}</text>`);
  parts.push(`</g><rect class="frame" x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/>`);
  parts.push(`<text class="axis" x="${M.left + pw / 2}" y="${M.top + ph + 34}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(logY ? `${o.yLabel} (log)` : o.yLabel)}</text>`);
  const path = (pts: [number, number][]) => {
    let d = '', pen = 'M';
    for (const [x, y] of pts) {
      if (!Number.isFinite(y)) {
        pen = 'M';
        continue;
      }
      d += `${pen}${r(sx(x))} ${r(sy(y))}`;
      pen = 'L';
    }
    return d;
  };
  series.forEach((s, i) => {
    if (s.smoothed) {
      parts.push(`<path class="series raw" d="${path(s.points)}" stroke="${color(i)}" stroke-opacity="0.25"><title>${esc(s.name)} (raw)</title></path>`);
      parts.push(`<path class="series smoothed" d="${path(s.smoothed)}" stroke="${color(i)}"><title>${esc(s.name)} (smoothed, EMA ${o.smoothing})</title></path>`);
    } else {
      parts.push(`<path class="series" d="${path(s.points)}" stroke="${color(i)}"><title>${esc(s.name)}</title></path>`);
    }
    if (s.points.length === 1) parts.push(`<circle cx="${r(sx(s.points[0][0]))}" cy="${r(sy(s.points[0][1]))}" r="3" fill="${color(i)}"/>`);
  });
  series.forEach((s, i) => {
    if (series.length < 2) return;
    const y = height - legendH + 16 * i + 4;
    parts.push(`<rect x="${M.left}" y="${y}" width="12" height="3" fill="${color(i)}"/><text class="legend" x="${M.left + 18}" y="${y + 5}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface ScatterOptions {
  title: string;
  /** [N, 2] row-major coordinates. */
  points: Float64Array;
  /** Class index per point; -1 is unlabelled (grey). */
  labels: readonly number[];
  classes: readonly string[];
  /** A hover text per point (e.g. the video path). */
  hover?: readonly string[];
  xLabel?: string;
  yLabel?: string;
}

/** A scatter plot coloured by class with a legend (class name and count). */
export function scatterPlot(o: ScatterOptions): string {
  const n = o.labels.length;
  const legend = [...o.classes.map((c, i) => ({ name: c, color: color(i), count: o.labels.filter((l) => l === i).length }))];
  const unl = o.labels.filter((l) => l < 0).length;
  if (unl) legend.push({ name: 'unlabelled', color: '#9a9a9a', count: unl });
  const plot = 420, legendW = 200, width = M.left + plot + 24 + legendW, height = Math.max(M.top + plot + M.bottom, M.top + 16 * legend.length + 20);
  const parts = [`<svg class="chart scatter" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}">`,
    `<text class="title" x="${M.left + plot / 2}" y="18" text-anchor="middle">${esc(o.title)}</text>`,
    `<rect class="frame" x="${M.left}" y="${M.top}" width="${plot}" height="${plot}"/>`];
  let lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) {
    lo[j] = Math.min(lo[j], o.points[i * 2 + j]);
    hi[j] = Math.max(hi[j], o.points[i * 2 + j]);
  }
  if (n === 0) lo = hi = [0, 0];
  const pad = (j: number) => (hi[j] - lo[j]) * 0.04 || 1;
  const s = (v: number, j: number) => ((v - (lo[j] - pad(j))) / (hi[j] - lo[j] + 2 * pad(j))) * plot;
  const r = (v: number) => v.toFixed(1);
  if (o.xLabel) parts.push(`<text class="axis" x="${M.left + plot / 2}" y="${M.top + plot + 20}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text class="axis" transform="translate(${M.left - 10} ${M.top + plot / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  const radius = n > 2000 ? 1.8 : 3.2;
  parts.push('<g class="points">');
  // Unlabelled points first, so that labelled ones are drawn on top.
  const order = [...Array(n).keys()].sort((a, b) => (o.labels[a] < 0 ? 0 : 1) - (o.labels[b] < 0 ? 0 : 1) || a - b);
  for (const i of order) {
    const l = o.labels[i];
    const title = o.hover?.[i] ? `<title>${esc(o.hover[i])}</title>` : '';
    parts.push(`<circle cx="${r(M.left + s(o.points[i * 2], 0))}" cy="${r(M.top + plot - s(o.points[i * 2 + 1], 1))}" r="${radius}" fill="${l >= 0 ? color(l) : '#9a9a9a'}">${title}</circle>`);
  }
  parts.push('</g><g class="legend">');
  legend.forEach((e, i) => {
    const y = M.top + 16 * i + 8;
    parts.push(`<circle cx="${M.left + plot + 30}" cy="${y}" r="5" fill="${e.color}"/><text x="${M.left + plot + 40}" y="${y + 4}">${esc(e.name)} (${e.count})</text>`);
  });
  parts.push('</g></svg>');
  return parts.join('');
}
