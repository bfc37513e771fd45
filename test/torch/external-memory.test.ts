import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zeros, tidy, heldHostBytes } from '../../src/torch/index.js';
import { native } from '../../src/native/addon.js';

const MiB = 2 ** 20;

test('V8 is told of a host tensor storage once, however many handles view it, until the last handle goes', () => {
  const before = heldHostBytes();
  const base = zeros([4 * MiB]); // 16 MiB of float32
  const afterBase = heldHostBytes();
  assert.ok(afterBase - before >= 15 * MiB, `a 16 MiB tensor added ${(afterBase - before) / MiB} MiB of external memory`);
  const views = Array.from({ length: 64 }, (_, i) => base.narrow(0, i * 65536, 65536));
  const rows = Array.from({ length: 64 }, (_, i) => tidy(() => base.reshape([64, 65536]).select(0, i)));
  assert.ok(heldHostBytes() - afterBase < MiB, `views of one storage added ${(heldHostBytes() - afterBase) / MiB} MiB`);
  base.dispose();
  views.forEach((v) => v.dispose());
  assert.ok(heldHostBytes() - afterBase > -MiB, 'the storage stopped counting while a handle (rows) still held it');
  rows.forEach((r) => r.dispose());
  assert.ok(heldHostBytes() - before < MiB, `${(heldHostBytes() - before) / MiB} MiB still counted after every handle was disposed`);
  const copy = tidy(() => zeros([4 * MiB]).clone());
  assert.ok(heldHostBytes() - before >= 15 * MiB, 'a copy is its own storage and counts');
  copy.dispose();
});

test('V8 hears of a rise in held tensor memory at once and of a fall only past a slack, so steady churn tells it nothing', () => {
  const told = () => native.externalBytesTold();
  const a = zeros([8 * MiB]); // 32 MiB
  const peak = told();
  assert.ok(peak >= heldHostBytes(), 'a rise was not told at once');
  a.dispose();
  for (let i = 0; i < 20; i++) zeros([8 * MiB]).dispose(); // a batch made and freed every step
  assert.equal(told(), peak, 'V8 was told of a 32 MiB fall and rise');
  const big = zeros([64 * MiB]); // 256 MiB: more than any slack
  assert.equal(told(), heldHostBytes(), 'a rise past the peak was not told at once');
  big.dispose();
  assert.equal(told(), heldHostBytes(), 'a 256 MiB fall was not told');
});
