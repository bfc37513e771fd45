// Float32 matrix products through oneDNN's matmul (native/onednn_matmul.cc) against float64
// references on ATen's kernels: linear layers with and without bias on 1-, 2- and 3-D inputs, mm of
// transposed views, and gradients (one of them expanded, whose zero stride oneDNN cannot read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, manualSeed, autocast, info, type Tensor } from '../../src/torch/index.js';
import * as F from '../../src/torch/functional.js';
import { native } from '../../src/native/addon.js';

const skip = info().oneDnnLayers ? false : 'the addon was built without the oneDNN layers (libdnnl-dev missing, or a libtorch with its own oneDNN)';

function relErr(a: Tensor, b: Tensor): number {
  return a.double().sub(b.double()).abs().amax().item() / Math.max(1e-12, b.double().abs().amax().item());
}

/** Runs f on float32 and float64 copies of the inputs, with gradients of sum(y * g); checks that oneDNN ran `products` products. */
function compare(inputs: Tensor[], f: (xs: Tensor[]) => Tensor, products: number): void {
  const before = native.oneDnnMatmuls();
  const run = (dtype: 'float32' | 'float64') => {
    const xs = inputs.map((t) => t.to(dtype).detach().requiresGrad_());
    return { y: f(xs), xs };
  };
  const ours = run('float32');
  assert.equal(native.oneDnnMatmuls() - before, products, 'products through oneDNN in the forward pass');
  const ref = run('float64');
  assert.equal(ours.y.dtype, 'float32');
  assert.deepEqual(ours.y.shape, ref.y.shape);
  assert.ok(relErr(ours.y, ref.y) < 1e-5, `output differs by ${relErr(ours.y, ref.y)}`);
  const g = randn(ref.y.shape);
  ours.y.mul(g).sum().backward();
  ref.y.mul(g.double()).sum().backward();
  ours.xs.forEach((x, i) => assert.ok(relErr(x.grad!, ref.xs[i].grad!) < 1e-5, `gradient ${i} differs by ${relErr(x.grad!, ref.xs[i].grad!)}`));
}

for (const shape of [[5, 7], [2, 3, 7], [7]]) {
  for (const bias of [true, false]) {
    test(`oneDNN linear equals float64 with gradients: input ${shape.join('x')}${bias ? ', bias' : ''}`, { skip }, () => {
      manualSeed(1);
      compare([randn(shape), randn([4, 7]), ...(bias ? [randn([4])] : [])], ([x, w, b]) => F.linear(x, w, b ?? null), 1);
    });
  }
}

test('oneDNN mm of transposed views equals float64 with gradients', { skip }, () => {
  manualSeed(2);
  compare([randn([6, 5]), randn([4, 6])], ([a, b]) => a.t().mm(b.t()), 1);
  compare([randn([9, 3])], ([a]) => a.t().matmul(a), 1);
});

test('an expanded gradient (zero stride) is copied before oneDNN reads it', { skip }, () => {
  manualSeed(3);
  const a = randn([5, 3]).requiresGrad_(), b = randn([3, 4]).requiresGrad_();
  a.mm(b).sum().backward(); // sum's gradient is a [5, 4] expansion of one value
  const ad = a.double().detach().requiresGrad_(), bd = b.double().detach().requiresGrad_();
  ad.mm(bd).sum().backward();
  assert.ok(relErr(a.grad!, ad.grad!) < 1e-5 && relErr(b.grad!, bd.grad!) < 1e-5);
});

test('autocast, float64 and batched matmul stay on ATen', { skip }, () => {
  const before = native.oneDnnMatmuls();
  const y = autocast(() => F.linear(randn([3, 4]), randn([2, 4]), null));
  assert.equal(y.dtype, 'bfloat16');
  randn([3, 4]).double().mm(randn([4, 2]).double());
  randn([2, 3, 4]).matmul(randn([2, 4, 5]));
  assert.equal(native.oneDnnMatmuls(), before);
});
