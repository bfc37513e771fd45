import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emaSmooth } from '../../src/report/smooth.js';
import { lineChart, logTicks, MIN_SMOOTHED } from '../../src/report/svg.js';

const close = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => (Number.isNaN(v) && Number.isNaN(b[i])) || Math.abs(v - b[i]) < 1e-12);

test('emaSmooth is TensorBoard\'s debiased EMA (hand-computed values)', () => {
  // w = 0.6: last = 0.4, 1.04, 2.224; debias 1 - 0.6^n = 0.4, 0.64, 0.784.
  const got = emaSmooth([1, 2, 4]);
  assert.ok(close(got, [1, 1.625, 2.224 / 0.784]), `${got}`);
  // Non-finite values pass through and are not counted: the third point is the second average.
  const gap = emaSmooth([1, NaN, 3]);
  assert.ok(close(gap, [1, NaN, 1.44 / 0.64]), `${gap}`);
  // w = 0.5 on [2, 0]: last 1 then 0.5; debias 0.5 then 0.75.
  assert.ok(close(emaSmooth([2, 0], 0.5), [2, 0.5 / 0.75]));
  assert.deepEqual(emaSmooth([5, 5, 5]), [5, 5, 5]);
  assert.deepEqual(emaSmooth([3, 1, 2], 0), [3, 1, 2]);
  assert.deepEqual(emaSmooth([]), []);
  assert.throws(() => emaSmooth([1, 2], 1), /smoothing weight must be in \[0, 1\), got 1/);
  assert.throws(() => emaSmooth([1, 2], -0.1), /got -0.1/);
});

/** The y pixel coordinates of each path in a chart (class attribute -> ys). */
function paths(svg: string): { cls: string; opacity: string | undefined; ys: number[] }[] {
  return [...svg.matchAll(/<path class="([^"]+)" d="([^"]*)" stroke="[^"]+"(?: stroke-opacity="([^"]+)")?/g)]
    .map((m) => ({ cls: m[1], opacity: m[3], ys: [...m[2].matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((p) => Number(p[1])) }));
}

const spread = (ys: number[]) => Math.max(...ys) - Math.min(...ys);

test('line charts draw the smoothed curve over a faint raw one, for long enough series only', () => {
  const zigzag = Array.from({ length: 40 }, (_, i) => [i, 2 + (i % 2 ? 1 : -1) + i * 0.01] as [number, number]);
  const p = paths(lineChart({ title: 't', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', points: zigzag }], smoothing: 0.6 }));
  assert.deepEqual(p.map((x) => [x.cls, x.opacity]), [['series raw', '0.25'], ['series smoothed', undefined]]);
  assert.equal(p[0].ys.length, 40);
  assert.equal(p[1].ys.length, 40);
  // The EMA damps the zigzag: its second half spans a fraction of the raw curve's.
  assert.ok(spread(p[1].ys.slice(20)) < 0.5 * spread(p[0].ys.slice(20)), `${spread(p[1].ys.slice(20))} vs ${spread(p[0].ys.slice(20))}`);
  const short = zigzag.slice(0, MIN_SMOOTHED - 1);
  assert.deepEqual(paths(lineChart({ title: 't', xLabel: 's', yLabel: 'y', series: [{ name: 'a', points: short }], smoothing: 0.6 })).map((x) => x.cls), ['series']);
  assert.deepEqual(paths(lineChart({ title: 't', xLabel: 's', yLabel: 'y', series: [{ name: 'a', points: zigzag }], smoothing: 0 })).map((x) => x.cls), ['series']);
});

test('log-scale y axes: decade ticks, equal spacing per decade, linear fallback when a value is not positive', () => {
  assert.deepEqual(logTicks(0.01, 100), [0.01, 0.1, 1, 10, 100]);
  assert.deepEqual(logTicks(1.5, 30), [2, 5, 10, 20]);
  assert.deepEqual(logTicks(3.1, 3.4), [3.1, 3.2, 3.3, 3.4]);
  const svg = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'l', points: [[0, 100], [1, 10], [2, 1]] }], logY: true });
  const [ys] = paths(svg).map((x) => x.ys);
  assert.ok(Math.abs((ys[1] - ys[0]) - (ys[2] - ys[1])) < 0.2, `decades not evenly spaced: ${ys}`);
  assert.match(svg, />loss \(log\)</);
  const lin = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'l', points: [[0, 100], [1, 10], [2, 1]] }] });
  const [linYs] = paths(lin).map((x) => x.ys);
  assert.ok((linYs[1] - linYs[0]) > 5 * (linYs[2] - linYs[1]), 'linear axis: 100 -> 10 spans far more than 10 -> 1');
  const neg = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'l', points: [[0, 1], [1, -0.5]] }], logY: true });
  assert.match(neg, /loss \(linear: values &lt;= 0\)/);
  assert.doesNotMatch(neg, /\(log\)/);
});
