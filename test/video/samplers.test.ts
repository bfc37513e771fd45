import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, sampleClipPair, sampleRandomClip, uniformClipStarts, validStarts, cvrlGapCdf, type GapLaw } from '../../src/video/index.js';

/** Kolmogorov-Smirnov statistic of samples against a CDF. */
function ks(samples: number[], cdf: (x: number) => number): number {
  const s = [...samples].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs(f - (i + 1) / s.length));
  });
  return d;
}

const T = 2000, N = 20000;
const crit = 1.63 / Math.sqrt(N); // alpha = 0.01
const shape = { frames: 16, stride: 2 };
const L = T + 30; // T valid starts

function gaps(law: GapLaw, power = 1, seed = 7): number[] {
  const rng = Rng.from(seed);
  return Array.from({ length: N }, () => sampleClipPair(L, { ...shape, law, power }, rng).gap);
}

test('CVRL gaps follow P(t) = 2(T - t)/T^2 (Kolmogorov-Smirnov at a fixed seed)', () => {
  assert.equal(validStarts(L, shape), T);
  // Gaps are floor()ed to frames: compare against the CDF at the cell's upper edge, within one cell.
  const d = ks(gaps('cvrl').map((g) => g + 0.5), (x) => 1 - (1 - x / T) ** 2);
  assert.ok(d < crit, `KS ${d} >= ${crit}`);
  const mean = gaps('cvrl').reduce((a, b) => a + b, 0) / N;
  assert.ok(Math.abs(mean - T / 3) < T * 0.01, `mean gap ${mean}, expected T/3 = ${T / 3}`);
  // The test has power: a uniform gap law is rejected.
  assert.ok(ks(gaps('uniform-gap').map((g) => g + 0.5), (x) => 1 - (1 - x / T) ** 2) > 5 * crit);
});

test('the power family, uniform, increasing and independent laws follow their distributions', () => {
  assert.ok(ks(gaps('cvrl', 2).map((g) => g + 0.5), (x) => cvrlGapCdf(x, T, 2)) < crit);
  assert.ok(ks(gaps('uniform-gap').map((g) => g + 0.5), (x) => x / T) < crit);
  assert.ok(ks(gaps('increasing').map((g) => g + 0.5), (x) => (x / T) ** 2) < crit);
  // Two independent uniform starts have exactly CVRL's gap law (a fact the method doc notes).
  assert.ok(ks(gaps('independent').map((g) => g + 0.5), (x) => 1 - (1 - x / T) ** 2) < 1.5 * crit);
});

test('pairs: starts valid, order shuffled, deterministic per seed; short videos loop from 0', () => {
  const rng = Rng.from(3);
  let firstLater = 0;
  for (let i = 0; i < 2000; i++) {
    const p = sampleClipPair(100, shape, rng);
    const T2 = validStarts(100, shape);
    assert.ok(p.starts.every((s) => s >= 0 && s < T2));
    assert.equal(Math.abs(p.starts[0] - p.starts[1]), p.gap);
    if (p.starts[0] > p.starts[1]) firstLater++;
  }
  assert.ok(firstLater > 800 && firstLater < 1200, `clip order shuffled (${firstLater}/2000)`);
  const a = Rng.from(42, 1, 2), b = Rng.from(42, 1, 2), c = Rng.from(42, 1, 3);
  const draw = (r: Rng) => Array.from({ length: 5 }, () => sampleClipPair(500, shape, r).starts.join());
  assert.deepEqual(draw(a), draw(b));
  assert.notDeepEqual(draw(Rng.from(42, 1, 2)), draw(c));
  assert.deepEqual(sampleClipPair(10, shape, rng).starts, [0, 0], 'a video shorter than a clip starts at 0 (and loops)');
  assert.throws(() => sampleClipPair(0, shape, rng), /positive integer/);
  assert.throws(() => sampleClipPair(100, { ...shape, power: 0 }, rng), /power must be > 0/);
});

test('single-clip samplers: random in range, evaluation views evenly spaced', () => {
  const rng = Rng.from(1);
  for (let i = 0; i < 500; i++) {
    const s = sampleRandomClip(80, shape, rng);
    assert.ok(s >= 0 && s < validStarts(80, shape));
  }
  assert.deepEqual(uniformClipStarts(131, shape, 10), [0, 11, 22, 33, 44, 56, 67, 78, 89, 100]);
  assert.deepEqual(uniformClipStarts(131, shape, 1), [50]);
  assert.deepEqual(uniformClipStarts(20, shape, 3), [0, 0, 0]);
  assert.throws(() => uniformClipStarts(100, shape, 0), /view count/);
});

test('Rng: uniform moments, state is reproducible, bad seeds rejected', () => {
  const r = Rng.from(9);
  const xs = Array.from({ length: 50000 }, () => r.next());
  const mean = xs.reduce((a, b) => a + b) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const s = new Rng(Uint32Array.from(r.state()));
  assert.equal(s.next(), r.next());
  assert.throws(() => new Rng(new Uint32Array(4)), /not all zero/);
});
