// A small 3-D conv net learns a motion-only toy task (direction of a moving square) and its loss falls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromTypedArray, manualSeed, tidy, noGrad, F, Tensor } from '../../src/torch/index.js';
import { Sequential, Conv3d, BatchNorm3d, ReLU, MaxPool3d, AdaptiveAvgPool3d, Flatten, Linear } from '../../src/nn/index.js';
import { SGD, LrSchedule } from '../../src/optim/index.js';

/** Clips [B, 1, T, S, S]: a square moving left (label 0) or right (label 1); start and brightness random. */
function batch(n: number, rng: () => number): { x: Tensor; y: Tensor } {
  const T = 6, S = 12, side = 3;
  const data = new Float32Array(n * T * S * S);
  const labels = new BigInt64Array(n);
  for (let b = 0; b < n; b++) {
    const dir = rng() < 0.5 ? 0 : 1;
    labels[b] = BigInt(dir);
    const row = Math.floor(rng() * (S - side));
    const x0 = dir ? Math.floor(rng() * 3) : S - side - Math.floor(rng() * 3);
    const v = 0.5 + rng();
    for (let t = 0; t < T; t++) {
      const col = x0 + (dir ? t : -t);
      for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) data[((b * T + t) * S + row + i) * S + col + j] = v;
    }
  }
  return { x: fromTypedArray(data, [n, 1, T, S, S]), y: fromTypedArray(labels) };
}

test('a conv net trains on a toy motion task: loss falls and accuracy rises', () => {
  manualSeed(0);
  let s = 1;
  const rng = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const net = new Sequential(
    new Conv3d(1, 8, 3, { padding: 1 }), new BatchNorm3d(8), new ReLU(), new MaxPool3d([1, 2, 2]),
    new Conv3d(8, 16, 3, { padding: 1 }), new BatchNorm3d(16), new ReLU(),
    new AdaptiveAvgPool3d(1), new Flatten(), new Linear(16, 2),
  );
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const sched = new LrSchedule({ kind: 'warmup-cosine', lr: 0.1, warmupSteps: 5, totalSteps: 60 });
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    losses.push(tidy(() => {
      const { x, y } = batch(16, rng);
      const loss = F.crossEntropy(net.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.setLr(sched.lr);
      opt.step();
      sched.step();
      return loss.item();
    }));
  }
  if (process.env.CVRL_DEBUG) console.log(losses.map((l) => l.toFixed(3)).join(" "));
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < 0.5 * first, `loss fell from ${first.toFixed(3)} to ${last.toFixed(3)}`);
  net.eval();
  const acc = tidy(() => noGrad(() => {
    const { x, y } = batch(200, rng);
    return net.forward(x).argmax(1).eq(y).float().mean().item();
  }));
  assert.ok(acc > 0.9, `held-out accuracy ${acc}`);
});
