// Kinetics-scale annotation lists open quickly and without spreading data-sized arrays into calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { openDataset, DatasetError } from '../../src/video/dataset.js';
import { labelFractionSubset } from '../../src/eval/label-fraction.js';
import { tempDir } from '../helpers/python.js';

const root = tempDir('cvrl-ds-scale-');
const N = 300_000;

test('a 300,000-row list dataset opens in seconds (no stack overflow); the paths are not statted', () => {
  const rows = ['path,label'];
  for (let i = 0; i < N; i++) rows.push(`v/${i}.mp4,${i % 400}`);
  const file = join(root, 'big.csv');
  writeFileSync(file, rows.join('\n'));
  const t0 = performance.now();
  const ds = openDataset({ data: root, format: 'list', annotations: file });
  const ms = performance.now() - t0;
  assert.equal(ds.items.length, N);
  assert.equal(ds.classes.length, 400);
  assert.equal(ds.items[N - 1].label, (N - 1) % 400);
  assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
  // One class holding every video: the per-class subset must not be quadratic either.
  const one = { ...ds, items: ds.items.map((it) => ({ ...it, label: 0 })) };
  const t1 = performance.now();
  assert.equal(labelFractionSubset(one, 0.5, 0).items.length, N / 2);
  assert.ok(performance.now() - t1 < 10_000);
});

test('huge, unsafe or negative list labels are rejected with file:line', () => {
  for (const [label, why] of [['2000000', /at most/], ['99999999999999999999', /at most/], ['-3', /negative|non-negative|>= 0/]] as const) {
    const file = join(root, `bad-${label.length}.csv`);
    writeFileSync(file, `a.mp4,0\nb.mp4,${label}\n`);
    assert.throws(() => openDataset({ data: root, format: 'list', annotations: file }), (e: Error) => {
      assert.ok(e instanceof DatasetError, String(e));
      assert.match(e.message, new RegExp(`${file.replace(/[.]/g, '\\.')}:2`));
      assert.match(e.message, why);
      return true;
    });
  }
});
