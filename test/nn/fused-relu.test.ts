// The fused ReLUs (batch norm + ReLU through oneDNN's fuse_norm_relu, and a residual block's add + ReLU
// in native/add_relu.cc) against the unfused ops they replace: outputs and gradients equal bit for bit,
// in float32 and bfloat16, on oneDNN's channels-last path and on ATen's fallbacks. Bit equality, not
// a tolerance: the fusion must not change training results (the 25-step parameter digest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randn, manualSeed, noGrad, info, tensor, cat, type Tensor } from '../../src/torch/index.js';
import * as F from '../../src/torch/functional.js';
import { Sequential } from '../../src/nn/sequential.js';
import { BatchNorm3d } from '../../src/nn/batchnorm.js';
import { ReLU } from '../../src/nn/linear.js';
import { Conv3d } from '../../src/nn/conv.js';

type Float = 'float32' | 'bfloat16';

/**
 * Equal bit patterns, so that -0.0 against +0.0 counts as a difference; any NaN equals any NaN (ATen
 * itself writes bfloat16 NaNs as 0xffff in its vector loops and 0x7fc0 in their scalar tails).
 */
function assertSameBits(a: Tensor, b: Tensor, what: string): void {
  assert.equal(a.dtype, b.dtype, `${what}: dtype`);
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const wide = a.dtype === 'float32';
  const bits = (t: Tensor) => {
    const buf = t.contiguous().toTypedArray().buffer.slice(0);
    return wide ? new Uint32Array(buf) : new Uint16Array(buf);
  };
  const [A, B] = [bits(a), bits(b)];
  const isNaN = (v: number) => (wide ? (v & 0x7fffffff) >>> 0 > 0x7f800000 : (v & 0x7fff) > 0x7f80);
  for (let i = 0; i < A.length; i++) {
    if (A[i] !== B[i] && !(isNaN(A[i]) && isNaN(B[i]))) assert.fail(`${what}: element ${i} differs: 0x${A[i].toString(16)} against 0x${B[i].toString(16)}`);
  }
}

/** [N, C, D, H, W] with channels-last memory (as oneDNN's convolutions leave activations), or NCDHW. */
function activation(shape: number[], channelsLast: boolean, dtype: Float): Tensor {
  const [n, c, d, h, w] = shape;
  const x = channelsLast ? randn([n, d, h, w, c]).mul(2).sub(0.3).permute([0, 4, 1, 2, 3]) : randn(shape).mul(2).sub(0.3);
  return x.to(dtype);
}

for (const dtype of ['float32', 'bfloat16'] as const) {
  for (const channelsLast of [true, false]) {
    for (const training of [true, false]) {
      const path = channelsLast ? "channels-last (oneDNN's fuse_norm_relu)" : "NCDHW (ATen's batch norm, then relu_)";
      test(`batch norm with fused ReLU equals batch norm then relu_ bit for bit: ${dtype}, ${path}, ${training ? 'training' : 'evaluation'}`, () => {
        manualSeed(21);
        const c = 16;
        const x0 = activation([2, c, 3, 5, 6], channelsLast, dtype);
        const [weight, bias] = [randn([c]), randn([c]).mul(0.5)];
        const [mean, variance] = [randn([c]).mul(0.1), randn([c]).abs().add(0.5)];
        const g = randn(x0.shape).to(dtype);
        const run = (fused: boolean) => {
          const x = x0.detach().requiresGrad_(), w = weight.detach().requiresGrad_(), b = bias.detach().requiresGrad_();
          const [runningMean, runningVar] = [mean.clone(), variance.clone()];
          const o = { weight: w, bias: b, runningMean, runningVar, training, momentum: 0.2 };
          const y = fused ? F.batchNorm(x, { ...o, relu: true }) : F.batchNorm(x, o).relu_();
          y.backward(g);
          return { y, grads: [x.grad!, w.grad!, b.grad!], runningMean, runningVar };
        };
        const fused = run(true), plain = run(false);
        assertSameBits(fused.y, plain.y, 'output');
        ['input', 'weight', 'bias'].forEach((name, i) => assertSameBits(fused.grads[i], plain.grads[i], `${name} gradient`));
        assertSameBits(fused.runningMean, plain.runningMean, 'running mean');
        assertSameBits(fused.runningVar, plain.runningVar, 'running variance');
        assert.ok(fused.y.float().amin().item() >= 0, 'a ReLU output is never negative');
      });
    }
  }
}

test('batch norm with fused ReLU without gradients (evaluation) equals batch norm then relu_', () => {
  manualSeed(22);
  const x = activation([2, 8, 2, 4, 4], true, 'float32');
  const o = { weight: randn([8]), bias: randn([8]), runningMean: randn([8]), runningVar: randn([8]).abs().add(0.1), training: false };
  noGrad(() => assertSameBits(F.batchNorm(x, { ...o, relu: true }), F.batchNorm(x, o).relu_(), 'output'));
});

test('Sequential runs a BatchNorm followed by a ReLU as one fused op, with the same result as the two modules', () => {
  manualSeed(23);
  const seq = new Sequential(new Conv3d(3, 8, 3, { padding: 1, bias: false }), new BatchNorm3d(8), new ReLU(true));
  const bn = seq.at(1) as BatchNorm3d;
  let fusedCalls = 0;
  const forwardRelu = bn.forwardRelu.bind(bn);
  bn.forwardRelu = (x: Tensor) => {
    fusedCalls++;
    return forwardRelu(x);
  };
  const x = randn([2, 3, 4, 6, 6]);
  const y = seq.forward(x);
  assert.equal(fusedCalls, 1, 'the pair did not take forwardRelu');
  const stepwise = (seq.at(2) as ReLU).forward((seq.at(1) as BatchNorm3d).forward((seq.at(0) as Conv3d).forward(x)));
  assert.ok(y.sub(stepwise).abs().amax().item() === 0, 'fused and step-by-step outputs differ');
});

test('Sequential keeps the forward of a BatchNorm or ReLU subclass that overrides it', () => {
  class Clipped extends ReLU {
    override forward(x: Tensor): Tensor {
      return x.clamp(0, 0.5);
    }
  }
  class Shifted extends BatchNorm3d {
    override forward(x: Tensor): Tensor {
      return super.forward(x).add(1);
    }
  }
  manualSeed(24);
  const x = randn([2, 8, 2, 4, 4]);
  for (const [bn, relu] of [[new Shifted(8), new ReLU(true)], [new BatchNorm3d(8), new Clipped()]] as const) {
    const y = new Sequential(bn, relu).forward(x);
    const stepwise = relu.forward(bn.forward(x));
    assert.ok(y.sub(stepwise).abs().amax().item() === 0, `${bn.constructor.name} + ${relu.constructor.name}: an overriding forward was skipped`);
  }
});

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, Infinity, -Infinity, NaN, 3e-39, -3e-39, 1e30, -1e30];

for (const dtype of ['float32', 'bfloat16'] as const) {
  test(`addRelu_ equals add_ then relu_ bit for bit, with its gradient: ${dtype}, random values and -0, NaN, infinities, denormals`, () => {
    manualSeed(24);
    const n = 70_000; // above at::parallel_for's grain: more than one chunk where threads allow
    const special = tensor(SPECIAL.flatMap((a) => SPECIAL.map(() => a)));
    const specialOther = tensor(SPECIAL.flatMap(() => SPECIAL));
    const y0 = cat([randn([n]).mul(3), special]).to(dtype), x0 = cat([randn([n]).mul(3), specialOther]).to(dtype);
    const g = randn(y0.shape).to(dtype);
    const run = (fused: boolean) => {
      const a = y0.detach().requiresGrad_(), b = x0.detach().requiresGrad_();
      const y = a.mul(1); // in place on a non-leaf, as on a batch norm's output
      const out = fused ? y.addRelu_(b) : y.add_(b).relu_();
      out.backward(g);
      return { out, ga: a.grad!, gb: b.grad! };
    };
    const fused = run(true), plain = run(false);
    assertSameBits(fused.out, plain.out, 'output');
    assertSameBits(fused.ga, plain.ga, 'gradient of y');
    assertSameBits(fused.gb, plain.gb, 'gradient of x');
  });
}

test('addRelu_ on tensors of different layouts (ATen path) and without gradients equals add_ then relu_', () => {
  manualSeed(25);
  const y = activation([2, 4, 3, 5, 5], true, 'float32'), x = activation([2, 4, 3, 5, 5], false, 'float32');
  assertSameBits(y.clone().addRelu_(x), y.clone().add_(x).relu_(), 'mixed layouts');
  noGrad(() => assertSameBits(y.clone().addRelu_(y), y.clone().add_(y).relu_(), 'no gradients'));
});

test('addRelu_ reports in-place misuse as add_ does: a leaf that requires grad, and a tensor saved for backward', () => {
  const leaf = randn([40_000]).requiresGrad_();
  assert.throws(() => leaf.addRelu_(randn([40_000])), /leaf Variable that requires grad/);
  const a = randn([40_000]).requiresGrad_();
  const y = a.mul(1);
  const saved = y.mul(y); // saves y for its backward
  y.addRelu_(randn([40_000]));
  assert.throws(() => saved.sum().backward(), /modified by an inplace operation/);
});

test("the addon's at::parallel_for loops use OpenMP wherever libtorch links GNU OpenMP", () => {
  const cflags = execFileSync(process.execPath, ['scripts/torch-config.mjs', 'cflags'], { encoding: 'utf8' });
  const expected = cflags.includes('-fopenmp');
  assert.equal(info().addonOpenmp, expected, `compiled with OpenMP: ${info().addonOpenmp}; torch-config's cflags: '${cflags.trim()}'`);
});
