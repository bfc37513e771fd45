import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, tensor, manualSeed, Tensor } from '../../src/torch/index.js';
import { ntXent } from '../../src/ssl/ntxent.js';
import { gradcheck } from '../helpers/gradcheck.js';

/** Direct computation with JS loops: each anchor's positives against all other clips (and the extra negatives). */
function reference(views: number[][][], tau: number, negatives: number[][] = []): number {
  const rho = views.length, n = views[0].length;
  const unitRow = (row: number[]) => { const s = Math.hypot(...row); return row.map((x) => x / s); };
  const all = [...views.map((v) => v.map(unitRow)).flat(), ...negatives.map(unitRow)];
  let total = 0;
  for (let a = 0; a < rho; a++) {
    for (let i = 0; i < n; i++) {
      const r = a * n + i;
      const logits = all.map((z, c) => (c === r ? -Infinity : z.reduce((s, x, k) => s + x * all[r][k], 0) / tau));
      const mx = Math.max(...logits);
      const lse = mx + Math.log(logits.reduce((s, l) => s + Math.exp(l - mx), 0));
      for (let b = 0; b < rho; b++) if (b !== a) total += -(logits[b * n + i] - lse);
    }
  }
  return total / (n * (rho - 1));
}

test('NT-Xent equals a direct computation (symmetric sum, temperature, rho views)', () => {
  manualSeed(0);
  tidy(() => {
    for (const [rho, n, d, tau] of [[2, 4, 5, 0.1], [2, 3, 8, 0.5], [3, 4, 6, 0.2], [4, 2, 3, 1]] as const) {
      const vs = Array.from({ length: rho }, () => randn([n, d], { dtype: 'float64' }));
      const ours = ntXent(vs, { temperature: tau }).item();
      const ref = reference(vs.map((v) => Array.from({ length: n }, (_, i) => v.toArray().slice(i * d, (i + 1) * d))), tau);
      assert.ok(Math.abs(ours - ref) < 1e-9, `rho ${rho}: ${ours} vs ${ref}`);
    }
  });
});

const rows = (t: Tensor) => { const [n, d] = t.shape; const a = t.toArray(); return Array.from({ length: n }, (_, i) => a.slice(i * d, (i + 1) * d)); };

test('NT-Xent with extra negatives equals a direct computation; they are candidates only', () => {
  manualSeed(5);
  tidy(() => {
    for (const [rho, n, m, d, tau] of [[2, 4, 4, 5, 0.1], [3, 3, 2, 4, 0.5]] as const) {
      const vs = Array.from({ length: rho }, () => randn([n, d], { dtype: 'float64' }));
      const neg = randn([m, d], { dtype: 'float64' });
      const ours = ntXent(vs, { temperature: tau, negatives: neg }).item();
      const ref = reference(vs.map(rows), tau, rows(neg));
      assert.ok(Math.abs(ours - ref) < 1e-9, `rho ${rho}: ${ours} vs ${ref}`);
      // Negatives only add candidates to the softmax: the loss can only grow.
      assert.ok(ours > ntXent(vs, { temperature: tau }).item());
    }
    // A negative equal to an anchor's positive is a hard negative: the loss rises by more than for a random one.
    const a = randn([4, 6], { dtype: 'float64' }), b = randn([4, 6], { dtype: 'float64' });
    const hard = ntXent([a, b], { negatives: b }).item(), easy = ntXent([a, b], { negatives: b.neg() }).item();
    assert.ok(hard > easy + 1, `${hard} vs ${easy}`);
    assert.throws(() => ntXent([a, b], { negatives: randn([4, 5]) }), /negatives must be \[M, 6\]/);
    gradcheck((x, y, z) => ntXent([x, y], { temperature: 0.3, negatives: z }), [randn([3, 4], { dtype: 'float64' }), randn([3, 4], { dtype: 'float64' }), randn([2, 4], { dtype: 'float64' })]);
  });
});

test('NT-Xent gradient check (float64)', () => {
  manualSeed(1);
  tidy(() => {
    gradcheck((a, b) => ntXent([a, b], { temperature: 0.3 }), [randn([4, 6], { dtype: 'float64' }), randn([4, 6], { dtype: 'float64' })]);
    gradcheck((a, b, c) => ntXent([a, b, c], { temperature: 0.5 }), [randn([3, 4], { dtype: 'float64' }), randn([3, 4], { dtype: 'float64' }), randn([3, 4], { dtype: 'float64' })]);
  });
});

test('NT-Xent is invariant to batch order and starts near 2 ln(2N - 1)', () => {
  manualSeed(2);
  tidy(() => {
    const a = randn([8, 16], { dtype: 'float64' }), b = randn([8, 16], { dtype: 'float64' });
    const perm = tensor([3, 0, 7, 5, 1, 2, 6, 4], { dtype: 'int64' });
    const l1 = ntXent([a, b]).item();
    const l2 = ntXent([a.indexSelect(0, perm), b.indexSelect(0, perm)]).item();
    assert.ok(Math.abs(l1 - l2) < 1e-10);
    const swapped = ntXent([b, a]).item();
    assert.ok(Math.abs(l1 - swapped) < 1e-10, 'symmetric in the two views');
    // Nearly orthogonal random embeddings: every candidate looks alike.
    const n = 32;
    const init = ntXent([randn([n, 4096]), randn([n, 4096])]).item();
    assert.ok(Math.abs(init - 2 * Math.log(2 * n - 1)) < 0.15, `initial loss ${init}, expected about ${2 * Math.log(2 * n - 1)}`);
    // Aligned positives drive it towards 0.
    const z = randn([n, 64]);
    assert.ok(ntXent([z, z], { temperature: 0.05 }).item() < 0.5);
    assert.throws(() => ntXent([a]), /at least 2 views/);
    assert.throws(() => ntXent([a, randn([7, 16], { dtype: 'float64' })]), /every view must be \[8, 16\]/);
    assert.throws(() => ntXent([a, b], { temperature: 0 }), /temperature must be > 0/);
    const single: Tensor[] = [randn([1, 4]), randn([1, 4])];
    assert.throws(() => ntXent(single), /at least 2 videos/);
  });
});
