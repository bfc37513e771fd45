// PCA to 2-D for the report's embedding plots: exact cases and a numpy/torch SVD reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pca2d } from '../../src/report/pca.js';
import { Rng } from '../../src/video/rng.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

function randomData(n: number, d: number, seed: number, scales: number[]): Float32Array {
  const rng = Rng.from(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (rng.next() * 2 - 1) * (scales[j] ?? 0.1) + j;
  return x;
}

test('points on a line project onto a line, in order, with all the variance on PC 1', () => {
  const n = 20, d = 5, dir = [1, -2, 0.5, 0, 3], norm = Math.hypot(...dir);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 4 + (i - 3) * dir[j] * 0.25;
  const p = pca2d(x, n, d);
  const mean = (n - 1) / 2 - 3;
  for (let i = 0; i < n; i++) {
    // The sign rule makes the largest loading (dir[4] = 3 > 0) positive, so PC 1 grows with i.
    assert.ok(Math.abs(p.points[i * 2] - (i - 3 - mean) * 0.25 * norm) < 1e-4, `point ${i}: ${p.points[i * 2]}`);
    assert.ok(Math.abs(p.points[i * 2 + 1]) < 1e-4);
  }
  assert.ok(Math.abs(p.explained[0] - 1) < 1e-9 && p.explained[1] < 1e-9, String(p.explained));
  for (let j = 0; j < d; j++) assert.ok(Math.abs(p.axes[j] - dir[j] / norm) < 1e-6);
});

test('axis-aligned spreads: PC 1 and PC 2 follow the two widest dimensions', () => {
  const n = 200, d = 6;
  const x = randomData(n, d, 3, [0.1, 5, 0.2, 2, 0.1, 0.1]);
  const p = pca2d(x, n, d);
  assert.ok(Math.abs(p.axes[1]) > 0.99, `PC 1 ${Array.from(p.axes.subarray(0, d))}`);
  assert.ok(Math.abs(p.axes[d + 3]) > 0.99, `PC 2 ${Array.from(p.axes.subarray(d))}`);
  assert.deepEqual(pca2d(x, n, d).points, p.points, 'deterministic');
});

test('degenerate inputs: one point, identical points, D = 1, bad sizes', () => {
  assert.deepEqual(Array.from(pca2d(new Float32Array([1, 2, 3]), 1, 3).points), [0, 0]);
  const same = pca2d(new Float32Array([1, 2, 1, 2, 1, 2]), 3, 2);
  assert.deepEqual(Array.from(same.points), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(same.explained, [0, 0]);
  const one = pca2d(new Float32Array([1, 3, 5]), 3, 1);
  assert.deepEqual(Array.from(one.points), [-2, 0, 0, 0, 2, 0]);
  assert.throws(() => pca2d(new Float32Array(5), 2, 3), /5 values is not N x D = 2 x 3/);
  assert.throws(() => pca2d(new Float32Array([1, NaN]), 1, 2), /non-finite value NaN at row 0, column 1/);
});

test('matches numpy SVD (up to each axis sign) on random data', (t) => {
  if (!torchAvailable()) return t.skip('python3-torch not installed');
  const n = 150, d = 40;
  const x = randomData(n, d, 11, Array.from({ length: d }, (_, j) => 3 / (1 + j)));
  const dir = tempDir('cvrl-pca-');
  writeFileSync(join(dir, 'x.f32'), x);
  const out = runPython(`
import numpy as np
x = np.fromfile(os.path.join(DIR, 'x.f32'), dtype=np.float32).reshape(${n}, ${d}).astype(np.float64)
xc = x - x.mean(0)
u, s, vt = np.linalg.svd(xc, full_matrices=False)
proj = xc @ vt[:2].T
ev = (s ** 2) / (s ** 2).sum()
import json
print(json.dumps({'proj': proj.ravel().tolist(), 'ev': ev[:2].tolist()}))
`, dir);
  const ref = JSON.parse(out) as { proj: number[]; ev: number[] };
  const p = pca2d(x, n, d);
  for (let j = 0; j < 2; j++) {
    const sign = Math.sign(p.points[j]) === Math.sign(ref.proj[j]) ? 1 : -1;
    let err = 0, scale = 0;
    for (let i = 0; i < n; i++) {
      err = Math.max(err, Math.abs(p.points[i * 2 + j] - sign * ref.proj[i * 2 + j]));
      scale = Math.max(scale, Math.abs(ref.proj[i * 2 + j]));
    }
    assert.ok(err < 1e-5 * scale, `PC ${j + 1}: max error ${err} (scale ${scale})`);
    assert.ok(Math.abs(p.explained[j] - ref.ev[j]) < 1e-8, `explained ${p.explained[j]} vs ${ref.ev[j]}`);
  }
});
