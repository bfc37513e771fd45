import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CollapseWatch, chanceLoss } from '../../src/train/collapse-watch.js';

test('chance loss: 2 ln(2N - 1) for pairs, rho ln(rho N - 1 + M) in general', () => {
  assert.equal(chanceLoss(32), 2 * Math.log(63));
  assert.equal(chanceLoss(8, 3, 8), 3 * Math.log(31));
});

test('collapse watch warns once after `patience` steps at chance, and a step away from chance resets it', () => {
  const w = new CollapseWatch(chanceLoss(32), 3);
  const at = chanceLoss(32) * 1.01;
  assert.equal(w.update(1, at), null);
  assert.equal(w.update(2, at), null);
  assert.equal(w.update(3, 5.0), null);
  assert.equal(w.update(4, at), null);
  assert.equal(w.update(5, at), null);
  assert.match(w.update(6, at) ?? '', /chance value 8\.286 for 3 steps \(step 6\)/);
  assert.equal(w.update(7, at), null, 'warns once');
});
