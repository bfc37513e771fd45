import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, tidy, manualSeed } from '../../src/torch/index.js';
import { decorrelationLoss } from '../../src/ssl/decorrelation.js';
import { gradcheck } from '../helpers/gradcheck.js';

test('decorrelation loss on hand-computed features', () => {
  tidy(() => {
    // Columns: a = [0, 2], b = [0, 2] (var 2 each, cov 2), c = [1, 1] (var 0).
    const f = tensor([[0, 0, 1], [2, 2, 1]], { dtype: 'float64' });
    const eps = 1e-4;
    const variance = (2 * Math.max(0, 1 - Math.sqrt(2 + eps)) + (1 - Math.sqrt(eps))) / 3;
    const covariance = (2 * 2 ** 2) / 3; // c_ab = c_ba = 2, everything with c is 0
    assert.ok(Math.abs(decorrelationLoss(f).item() - (variance + covariance)) < 1e-12);
    // Independent unit-variance columns cost almost nothing; one column copied everywhere costs a lot.
    manualSeed(0);
    const white = randn([4096, 4], { dtype: 'float64' });
    assert.ok(decorrelationLoss(white).item() < 0.05);
    const collapsed = white.narrow(1, 0, 1).expand([4096, 4]).contiguous();
    assert.ok(decorrelationLoss(collapsed).item() > 2.5);
    assert.throws(() => decorrelationLoss(randn([1, 4])), /features \[N >= 2, D\]/);
  });
});

test('decorrelation loss gradient check (float64)', () => {
  manualSeed(1);
  tidy(() => gradcheck((x) => decorrelationLoss(x), [randn([6, 3], { dtype: 'float64' }).mul(0.5)]));
});
