// Class-balanced, seeded label subsets for semi-supervised fine-tuning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelFractionSubset } from '../../src/eval/label-fraction.js';
import { type VideoDataset } from '../../src/video/dataset.js';

function dataset(counts: number[]): VideoDataset {
  const items = counts.flatMap((n, c) => Array.from({ length: n }, (_, i) => ({ path: `/d/c${c}/v${i}.mp4`, label: c })));
  return { root: '/d', format: 'list', classes: counts.map((_, c) => `c${c}`), items };
}

const perClass = (d: VideoDataset, classes: number) => Array.from({ length: classes }, (_, c) => d.items.filter((i) => i.label === c).length);

test('every class keeps round(fraction x count) videos, at least one', () => {
  const d = dataset([100, 50, 7, 1]);
  assert.deepEqual(perClass(labelFractionSubset(d, 0.1, 0), 4), [10, 5, 1, 1]);
  assert.deepEqual(perClass(labelFractionSubset(d, 0.01, 0), 4), [1, 1, 1, 1]);
  assert.deepEqual(perClass(labelFractionSubset(d, 0.5, 0), 4), [50, 25, 4, 1]);
  assert.equal(labelFractionSubset(d, 1, 0), d);
});

test('subsets are deterministic per seed, differ across seeds, and draw only from the training set', () => {
  const d = dataset([100, 100, 100]);
  const a = labelFractionSubset(d, 0.1, 3), b = labelFractionSubset(d, 0.1, 3), c = labelFractionSubset(d, 0.1, 4);
  assert.deepEqual(a.items, b.items);
  assert.notDeepEqual(a.items, c.items);
  const train = new Set(d.items.map((i) => i.path));
  assert.ok(a.items.every((i) => train.has(i.path)));
  assert.equal(new Set(a.items.map((i) => i.path)).size, a.items.length, 'no video twice');
  // A subset is not simply the first videos of each class.
  assert.ok(a.items.some((i) => Number(/v(\d+)/.exec(i.path)![1]) >= 10));
});

test('bad fractions and unlabelled videos are rejected with the option named', () => {
  const d = dataset([10]);
  for (const f of [0, -0.1, 1.5, NaN]) assert.throws(() => labelFractionSubset(d, f), /labelFraction must be in \(0, 1\]/);
  assert.throws(() => labelFractionSubset({ ...d, items: [{ path: '/d/x.mp4', label: -1 }] }, 0.5), /needs labelled videos; \/d\/x.mp4/);
});
