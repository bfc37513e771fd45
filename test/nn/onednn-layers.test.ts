// The channels-last oneDNN convolution and batch norm (native/onednn_*.cc) against float64
// references, which take ATen's own kernels (oneDNN handles float32 and bfloat16 only): outputs,
// every gradient and the running statistics, over strides, padding, dilation, kernel shapes, bias,
// a 3-channel stem (also folded into 2x2 pixel blocks) and non-contiguous inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, manualSeed, autocast, noGrad, info, type Tensor } from '../../src/torch/index.js';
import * as F from '../../src/torch/functional.js';
import { native } from '../../src/native/addon.js';
import { noBf16Convolutions } from '../helpers/bf16.js';

const built = info().oneDnnLayers;
const skip = built ? false : 'the addon was built without the oneDNN layers (libdnnl-dev missing, or a libtorch with its own oneDNN)';
const bf16Skip = skip || noBf16Convolutions;

/** Largest |a - b| over the largest |b|: a relative error that ignores entries near zero. */
function relErr(a: Tensor, b: Tensor): number {
  return a.double().sub(b.double()).abs().amax().item() / Math.max(1e-12, b.double().abs().amax().item());
}

interface ConvCase { name: string; x: number[]; w: number[]; bias: boolean; stride?: number[]; padding?: number[]; dilation?: number[]; channelsLast?: boolean }

const CASES: ConvCase[] = [
  { name: '3x3x3, padding 1', x: [3, 8, 6, 10, 10], w: [12, 8, 3, 3, 3], bias: false, padding: [1, 1, 1] },
  { name: 'stem: 3 channels, 3x7x7, stride (1, 2, 2), bias', x: [2, 3, 5, 17, 15], w: [16, 3, 3, 7, 7], bias: true, stride: [1, 2, 2], padding: [1, 3, 3] },
  { name: '1x1x1 shortcut, stride 2', x: [2, 16, 6, 9, 9], w: [32, 16, 1, 1, 1], bias: false, stride: [2, 2, 2] },
  { name: '(2+1)D: 1x3x3 then 3x1x1, dilation 2', x: [1, 4, 7, 11, 11], w: [5, 4, 1, 3, 3], bias: true, padding: [0, 2, 2], dilation: [1, 2, 2] },
  { name: 'temporal 3x1x1, channels-last input view', x: [2, 6, 5, 4, 4], w: [6, 6, 3, 1, 1], bias: false, padding: [1, 0, 0], channelsLast: true },
  // Late layers: a padded 3-frame kernel over 1-2 frames, whose weight gradient takes the input padded explicitly.
  { name: '3x3x3 over 1 frame, padding 1', x: [2, 16, 1, 7, 7], w: [16, 16, 3, 3, 3], bias: false, padding: [1, 1, 1] },
  { name: '3x3x3 over 2 frames, padding 1, bias', x: [2, 16, 2, 6, 6], w: [24, 16, 3, 3, 3], bias: true, padding: [1, 1, 1] },
];

function input(c: ConvCase): Tensor {
  if (!c.channelsLast) return randn(c.x);
  const [n, ch, d, h, w] = c.x;
  return randn([n, d, h, w, ch]).permute([0, 4, 1, 2, 3]);
}

for (const c of CASES) {
  test(`oneDNN conv3d equals the float64 reference, with gradients: ${c.name}`, { skip }, () => {
    manualSeed(7);
    const x = input(c), w = randn(c.w).mul(0.2), b = c.bias ? randn([c.w[0]]) : null;
    const o = { stride: c.stride ?? 1, padding: c.padding ?? 0, dilation: c.dilation ?? 1 };
    const run = (dtype: 'float32' | 'float64') => {
      const xs = [x, w, ...(b ? [b] : [])].map((t) => t.to(dtype).detach().requiresGrad_());
      const y = F.conv3d(xs[0], xs[1], xs[2] ?? null, o);
      return { y, xs };
    };
    const ours = run('float32'), ref = run('float64');
    assert.equal(ours.y.dtype, 'float32');
    assert.equal(ours.y.isContiguous(), false, "not oneDNN's channels-last output: ATen's kernels ran");
    assert.deepEqual(ours.y.shape, ref.y.shape);
    assert.ok(relErr(ours.y, ref.y) < 1e-5, `output differs by ${relErr(ours.y, ref.y)}`);
    const g = randn(ref.y.shape);
    ours.y.backward(g);
    ref.y.backward(g.double());
    ['input', 'weight', 'bias'].slice(0, ours.xs.length).forEach((name, i) => {
      const e = relErr(ours.xs[i].grad!, ref.xs[i].grad!);
      assert.ok(e < 1e-5, `${name} gradient differs by ${e}`);
    });
  });
}

test('oneDNN conv3d writes channels-last outputs (so the kernels are in use), and a batch norm keeps that layout', { skip }, () => {
  const y = F.conv3d(randn([2, 4, 4, 6, 6]), randn([8, 4, 3, 3, 3]), null, { padding: 1 });
  assert.equal(y.isContiguous(), false, 'a channels-last [N, C, D, H, W] tensor is not contiguous in NCDHW order');
  assert.equal(y.permute([0, 2, 3, 4, 1]).isContiguous(), true);
  const z = F.batchNorm(y, { training: true });
  assert.equal(z.permute([0, 2, 3, 4, 1]).isContiguous(), true);
});

test('oneDNN conv3d under bfloat16 autocast: bfloat16 output within rounding of float64, float32 gradients for float32 weights', { skip: bf16Skip }, () => {
  manualSeed(3);
  const x = randn([4, 16, 4, 8, 8]).requiresGrad_(), w = randn([16, 16, 3, 3, 3]).mul(0.1).requiresGrad_();
  const y = autocast(() => F.conv3d(x, w, null, { padding: 1 }));
  assert.equal(y.dtype, 'bfloat16');
  assert.equal(y.isContiguous(), false, "not oneDNN's channels-last output: ATen's kernels ran");
  const xd = x.double().detach().requiresGrad_(), wd = w.double().detach().requiresGrad_();
  const ref = F.conv3d(xd, wd, null, { padding: 1 });
  assert.ok(relErr(y, ref) < 2e-2, `output differs by ${relErr(y, ref)}`);
  const g = randn(ref.shape);
  y.float().backward(g);
  ref.backward(g.double());
  assert.equal(w.grad!.dtype, 'float32');
  assert.ok(relErr(x.grad!, xd.grad!) < 2e-2, `input gradient differs by ${relErr(x.grad!, xd.grad!)}`);
  assert.ok(relErr(w.grad!, wd.grad!) < 2e-2, `weight gradient differs by ${relErr(w.grad!, wd.grad!)}`);
});

for (const stemF32 of [true, false]) {
  test(`oneDNN bfloat16 stem (3 input channels): weight and bias gradients within rounding of float64, computed in ${stemF32 ? 'float32 (CVRL_ONEDNN_STEM_GRAD_F32=1)' : 'bfloat16'}`, { skip: bf16Skip }, () => {
    const before = process.env.CVRL_ONEDNN_STEM_GRAD_F32;
    if (stemF32) process.env.CVRL_ONEDNN_STEM_GRAD_F32 = '1';
    else delete process.env.CVRL_ONEDNN_STEM_GRAD_F32;
    process.env.CVRL_ONEDNN_STEM_S2D = '0'; // the unfolded kernels (the fold is tested below)
    try {
      manualSeed(5);
      const x = randn([2, 3, 4, 12, 12]), w = randn([16, 3, 3, 7, 7]).mul(0.1).requiresGrad_(), b = randn([16]).requiresGrad_();
      const o = { stride: [1, 2, 2], padding: [1, 3, 3] };
      const y = autocast(() => F.conv3d(x, w, b, o));
      assert.equal(y.isContiguous(), false, "not oneDNN's channels-last output: ATen's kernels ran");
      const wd = w.double().detach().requiresGrad_(), bd = b.double().detach().requiresGrad_();
      const ref = F.conv3d(x.double(), wd, bd, o);
      const g = randn(ref.shape);
      y.float().backward(g);
      ref.backward(g.double());
      assert.ok(relErr(w.grad!, wd.grad!) < 2e-2, `weight gradient differs by ${relErr(w.grad!, wd.grad!)}`);
      assert.ok(relErr(b.grad!, bd.grad!) < 2e-2, `bias gradient differs by ${relErr(b.grad!, bd.grad!)}`);
    } finally {
      if (before === undefined) delete process.env.CVRL_ONEDNN_STEM_GRAD_F32;
      else process.env.CVRL_ONEDNN_STEM_GRAD_F32 = before;
      delete process.env.CVRL_ONEDNN_STEM_S2D;
    }
  });
}

// Stride-2 bfloat16 convolutions over few channels, folded into 2x2 pixel blocks (CVRL_ONEDNN_STEM_S2D=1
// forces the fold on CPUs without AMX): odd sizes, even and odd kernels, padding beyond the kernel's half.
const FOLD_CASES: ConvCase[] = [
  { name: 'stem 3x7x7, odd height', x: [2, 3, 5, 17, 16], w: [16, 3, 3, 7, 7], bias: true, stride: [1, 2, 2], padding: [1, 3, 3] },
  { name: '1x3x3, temporal stride 2, odd width, channels-last input view', x: [2, 5, 4, 10, 9], w: [8, 5, 1, 3, 3], bias: false, stride: [2, 2, 2], padding: [0, 1, 1], channelsLast: true },
  { name: '3x4x5 kernel, uneven padding', x: [1, 3, 3, 11, 12], w: [4, 3, 3, 4, 5], bias: true, stride: [1, 2, 2], padding: [1, 0, 2] },
  { name: '1x1x1', x: [1, 2, 3, 6, 7], w: [4, 2, 1, 1, 1], bias: false, stride: [1, 2, 2] },
];

for (const c of FOLD_CASES) {
  test(`oneDNN bfloat16 convolution folded into 2x2 pixel blocks equals the unfolded one: ${c.name}`, { skip: bf16Skip }, () => {
    manualSeed(9);
    const x = input(c), w = randn(c.w).mul(0.1), b = c.bias ? randn([c.w[0]]) : null, g = randn([1]);
    const o = { stride: c.stride!, padding: c.padding ?? 0 };
    const run = (fold: '0' | '1') => {
      process.env.CVRL_ONEDNN_STEM_S2D = fold;
      try {
        const ws = [w, ...(b ? [b] : [])].map((t) => t.detach().requiresGrad_());
        const folds = native.foldedConvolutions();
        const y = autocast(() => F.conv3d(x, ws[0], ws[1] ?? null, o));
        assert.equal(native.foldedConvolutions() - folds, Number(fold), 'folded convolutions run');
        y.float().mul(g.expand(y.shape).add(y.float())).sum().backward();
        return { y, grads: ws.map((t) => t.grad!) };
      } finally {
        delete process.env.CVRL_ONEDNN_STEM_S2D;
      }
    };
    const plain = run('0'), folded = run('1');
    assert.equal(folded.y.dtype, 'bfloat16');
    assert.deepEqual(folded.y.shape, plain.y.shape);
    // The same products summed in another order: at most a bfloat16 rounding step apart.
    assert.ok(relErr(folded.y, plain.y) < 8e-3, `output differs by ${relErr(folded.y, plain.y)}`);
    folded.grads.forEach((gr, i) => assert.ok(relErr(gr, plain.grads[i]) < 8e-3, `${i ? 'bias' : 'weight'} gradient differs by ${relErr(gr, plain.grads[i])}`));
    const ref = F.conv3d(x.double(), w.double(), b ? b.double() : null, o);
    assert.ok(relErr(folded.y, ref) < 2e-2, `output differs from float64 by ${relErr(folded.y, ref)}`);
  });
}

test('the fold leaves an input that needs its gradient, float32 and impossible shapes to the unfolded kernels', { skip: bf16Skip }, () => {
  process.env.CVRL_ONEDNN_STEM_S2D = '1';
  try {
    const folds = native.foldedConvolutions();
    const w = randn([8, 3, 3, 7, 7]), o = { stride: [1, 2, 2], padding: [1, 3, 3] };
    const x = randn([1, 3, 4, 12, 12]).requiresGrad_();
    autocast(() => F.conv3d(x, w, null, o)).float().sum().backward();
    assert.ok(x.grad!.abs().sum().item() > 0);
    F.conv3d(randn([1, 3, 4, 12, 12]), w, null, o);
    assert.equal(native.foldedConvolutions(), folds);
    // A kernel larger than the padded input stays ATen's error.
    assert.throws(() => autocast(() => F.conv3d(randn([1, 3, 4, 5, 12]), w, null, { stride: [1, 2, 2], padding: [1, 0, 0] })), /size|kernel/i);
    assert.equal(native.foldedConvolutions(), folds);
  } finally {
    delete process.env.CVRL_ONEDNN_STEM_S2D;
  }
});

for (const affine of [true, false]) {
  test(`oneDNN batch norm (training, channels-last input${affine ? '' : ', no affine'}) equals float64: output, gradients, running statistics`, { skip }, () => {
    manualSeed(11);
    const [n, c, d, h, w] = [3, 12, 4, 5, 6];
    const x = randn([n, d, h, w, c]).mul(2).add(0.5).permute([0, 4, 1, 2, 3]); // channels-last, as convolutions leave it
    const weight = randn([c]), bias = randn([c]);
    const run = (dtype: 'float32' | 'float64') => {
      const xs = [x, ...(affine ? [weight, bias] : [])].map((t) => t.to(dtype).detach().requiresGrad_());
      const runningMean = randn([c]).mul(0).to(dtype), runningVar = randn([c]).mul(0).add(1).to(dtype);
      const y = F.batchNorm(xs[0], { weight: xs[1] ?? null, bias: xs[2] ?? null, runningMean, runningVar, training: true, momentum: 0.3, eps: 1e-5 });
      return { y, xs, runningMean, runningVar };
    };
    const ours = run('float32'), ref = run('float64');
    assert.ok(relErr(ours.y, ref.y) < 1e-5, `output differs by ${relErr(ours.y, ref.y)}`);
    assert.ok(relErr(ours.runningMean, ref.runningMean) < 1e-5, 'running mean');
    assert.ok(relErr(ours.runningVar, ref.runningVar) < 1e-5, 'running variance (unbiased, as ATen)');
    const g = randn(ref.y.shape);
    ours.y.backward(g);
    ref.y.backward(g.double());
    ['input', 'weight', 'bias'].slice(0, ours.xs.length).forEach((name, i) => {
      const e = relErr(ours.xs[i].grad!, ref.xs[i].grad!);
      assert.ok(e < 1e-4, `${name} gradient differs by ${e}`);
    });
  });
}

test('oneDNN batch norm in evaluation mode (running statistics, no gradient) equals float64 and keeps channels-last', { skip }, () => {
  manualSeed(12);
  const c = 20;
  const x = randn([2, 3, 4, 5, c]).mul(3).permute([0, 4, 1, 2, 3]);
  const [weight, bias, mean] = [randn([c]), randn([c]), randn([c])];
  const variance = randn([c]).abs().add(0.1);
  const run = (dtype: 'float32' | 'float64') => noGrad(() => F.batchNorm(x.to(dtype), {
    weight: weight.to(dtype), bias: bias.to(dtype), runningMean: mean.to(dtype), runningVar: variance.to(dtype), training: false, eps: 1e-3,
  }));
  const ours = run('float32');
  assert.equal(ours.permute([0, 2, 3, 4, 1]).isContiguous(), true, "not oneDNN's channels-last output");
  assert.ok(relErr(ours, run('float64')) < 1e-5, `output differs by ${relErr(ours, run('float64'))}`);
});

test('batch norm in evaluation mode with gradients (frozen statistics, trained input) on a channels-last input equals float64', { skip }, () => {
  manualSeed(13);
  const c = 8;
  const x = randn([2, 3, 4, 4, c]).permute([0, 4, 1, 2, 3]);
  const [weight, bias, mean] = [randn([c]), randn([c]), randn([c])];
  const variance = randn([c]).abs().add(0.1);
  const run = (dtype: 'float32' | 'float64') => {
    const xs = [x, weight, bias].map((t) => t.to(dtype).detach().requiresGrad_());
    const y = F.batchNorm(xs[0], { weight: xs[1], bias: xs[2], runningMean: mean.to(dtype), runningVar: variance.to(dtype), training: false });
    y.mul(y).sum().backward();
    return { y, xs };
  };
  const ours = run('float32'), ref = run('float64');
  assert.ok(relErr(ours.y, ref.y) < 1e-5, `output differs by ${relErr(ours.y, ref.y)}`);
  ['input', 'weight', 'bias'].forEach((name, i) => assert.ok(relErr(ours.xs[i].grad!, ref.xs[i].grad!) < 1e-4, `${name} gradient`));
});

for (const [kernel, stride, padding] of [[[1, 3, 3], [1, 2, 2], [0, 1, 1]], [[3, 3, 3], [2, 2, 2], [1, 1, 1]], [[2, 2, 2], [2, 2, 2], [0, 0, 0]]]) {
  test(`oneDNN max pool3d of a channels-last input equals float64 with its gradient: kernel ${kernel}, stride ${stride}, padding ${padding}`, { skip }, () => {
    manualSeed(14);
    const x = randn([2, 5, 7, 9, 6]).permute([0, 4, 1, 2, 3]); // [2, 6, 5, 7, 9], channels-last
    const run = (dtype: 'float32' | 'float64') => {
      const xi = x.to(dtype).detach().requiresGrad_();
      const y = F.maxPool3d(xi, kernel, { stride, padding });
      y.mul(y).sum().backward();
      return { y, g: xi.grad! };
    };
    const ours = run('float32'), ref = run('float64');
    assert.deepEqual(ours.y.shape, ref.y.shape);
    assert.equal(ours.y.isContiguous(), false, "not oneDNN's channels-last output: ATen's kernel ran");
    assert.ok(relErr(ours.y, ref.y) < 1e-6, `output differs by ${relErr(ours.y, ref.y)}`);
    assert.ok(relErr(ours.g, ref.g) < 1e-5, `input gradient differs by ${relErr(ours.g, ref.g)}`);
  });
}
