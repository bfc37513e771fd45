// Finite-difference gradient checks (float64) for every differentiable op the Tensor API exposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, F, randn, rand, tensor, cat, stack, where, einsum, manualSeed, tidy, tensor as mk } from '../../src/torch/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

const r = (...shape: number[]) => randn(shape, { dtype: 'float64' });
const pos = (...shape: number[]) => rand(shape, { dtype: 'float64' }).add(0.5);
const idx = (values: number[]) => tensor(values, { dtype: 'int64' });

type Case = [name: string, inputs: () => Tensor[], fn: (...xs: Tensor[]) => Tensor, opts?: { seed?: number; atol?: number }];

const cases: Case[] = [
  ['add', () => [r(3, 4), r(3, 4)], (a, b) => a.add(b, 0.5)],
  ['add broadcast', () => [r(3, 4), r(4)], (a, b) => a.add(b)],
  ['sub', () => [r(3, 4), r(3, 4)], (a, b) => a.sub(b)],
  ['rsub', () => [r(5)], (a) => a.rsub(2)],
  ['mul', () => [r(3, 4), r(3, 4)], (a, b) => a.mul(b)],
  ['mul scalar', () => [r(3, 4)], (a) => a.mul(3)],
  ['div', () => [r(3, 4), pos(3, 4)], (a, b) => a.div(b)],
  ['pow', () => [pos(3, 4), r(3, 4)], (a, b) => a.pow(b)],
  ['pow scalar', () => [pos(6)], (a) => a.pow(2.5)],
  ['maximum', () => [r(10), r(10)], (a, b) => a.maximum(b)],
  ['minimum', () => [r(10), r(10)], (a, b) => a.minimum(b)],
  ['where', () => [r(10), r(10)], (a, b) => where(a.gt(0), a, b)],
  ['clamp', () => [r(20)], (a) => a.clamp(-0.5, 0.5)],
  ['neg', () => [r(5)], (a) => a.neg()],
  ['exp', () => [r(5)], (a) => a.exp()],
  ['log', () => [pos(5)], (a) => a.log()],
  ['log1p', () => [pos(5)], (a) => a.log1p()],
  ['sqrt', () => [pos(5)], (a) => a.sqrt()],
  ['rsqrt', () => [pos(5)], (a) => a.rsqrt()],
  ['abs', () => [r(7)], (a) => a.abs()],
  ['sigmoid', () => [r(7)], (a) => a.sigmoid()],
  ['tanh', () => [r(7)], (a) => a.tanh()],
  ['sin', () => [r(7)], (a) => a.sin()],
  ['cos', () => [r(7)], (a) => a.cos()],
  ['reciprocal', () => [pos(7)], (a) => a.reciprocal()],
  ['square', () => [r(7)], (a) => a.square()],
  ['erf', () => [r(7)], (a) => a.erf()],
  ['relu', () => [r(12)], (a) => F.relu(a)],
  ['gelu', () => [r(12)], (a) => F.gelu(a)],
  ['leakyRelu', () => [r(12)], (a) => F.leakyRelu(a, 0.1)],
  ['sum all', () => [r(3, 4)], (a) => a.sum()],
  ['sum dims keepdim', () => [r(2, 3, 4)], (a) => a.sum([0, 2], true)],
  ['mean', () => [r(2, 3, 4)], (a) => a.mean(1)],
  ['prod', () => [pos(5)], (a) => a.prod()],
  ['amax', () => [r(3, 5)], (a) => a.amax(1)],
  ['amin', () => [r(3, 5)], (a) => a.amin(0)],
  ['maxDim values', () => [r(3, 5)], (a) => a.maxDim(1).values],
  ['minDim values', () => [r(3, 5)], (a) => a.minDim(0).values],
  ['var', () => [r(3, 5)], (a) => a.var(1)],
  ['std', () => [r(3, 5)], (a) => a.std()],
  ['norm', () => [r(3, 5)], (a) => a.norm(2, 1)],
  ['logsumexp', () => [r(3, 5)], (a) => a.logsumexp(1)],
  ['cumsum', () => [r(3, 5)], (a) => a.cumsum(1)],
  ['topk values', () => [r(3, 6)], (a) => a.topk(2, 1).values],
  ['sort values', () => [r(3, 6)], (a) => a.sort(1, true).values],
  ['matmul', () => [r(2, 3, 4), r(4, 5)], (a, b) => a.matmul(b)],
  ['mm', () => [r(3, 4), r(4, 2)], (a, b) => a.mm(b)],
  ['bmm', () => [r(2, 3, 4), r(2, 4, 2)], (a, b) => a.bmm(b)],
  ['einsum', () => [r(3, 4), r(5, 4)], (a, b) => einsum('ik,jk->ij', a, b)],
  ['reshape', () => [r(3, 4)], (a) => a.reshape([2, 6]).mul(a.reshape([2, 6]))],
  ['view', () => [r(3, 4)], (a) => a.view([12]).square()],
  ['permute', () => [r(2, 3, 4)], (a) => a.permute([2, 0, 1]).contiguous().reshape([4, 6]).square()],
  ['transpose', () => [r(3, 4)], (a) => a.transpose(0, 1).square()],
  ['narrow', () => [r(5, 4)], (a) => a.narrow(0, 1, 3).square()],
  ['slice step', () => [r(8, 3)], (a) => a.slice(0, 1, 7, 2).square()],
  ['select', () => [r(4, 3)], (a) => a.select(0, 2).square()],
  ['diagonal', () => [r(3, 5)], (a) => a.diagonal(1).square()],
  ['diagonal filled in place', () => [r(3, 4)], (a) => { const b = a.mul(2); b.diagonal().fill_(0); return b.square(); }],
  ['indexSelect', () => [r(5, 3)], (a) => a.indexSelect(0, idx([4, 0, 4])).square()],
  ['gather', () => [r(3, 4)], (a) => a.gather(1, idx([0, 3, 1, 1, 2, 2]).reshape([3, 2])).square()],
  ['scatter', () => [r(3, 4), r(3, 1)], (a, b) => a.scatter(1, idx([2, 0, 3]).reshape([3, 1]), b).square()],
  ['maskedFill', () => [r(10)], (a) => a.maskedFill(a.gt(0), 0).square()],
  ['maskedSelect', () => [r(10)], (a) => a.maskedSelect(a.gt(0)).square()],
  ['cat', () => [r(2, 3), r(4, 3)], (a, b) => cat([a, b], 0).square()],
  ['stack', () => [r(2, 3), r(2, 3)], (a, b) => stack([a, b], 1).square()],
  ['split', () => [r(6, 2)], (a) => a.split(4, 0)[1].square()],
  ['chunk', () => [r(6, 2)], (a) => a.chunk(3, 0)[2].square()],
  ['flip', () => [r(3, 4)], (a) => a.flip([0, 1]).mul(a)],
  ['roll', () => [r(3, 4)], (a) => a.roll(1, 1).mul(a)],
  ['expand', () => [r(3, 1)], (a) => a.expand([3, 4]).square()],
  ['repeat', () => [r(2, 3)], (a) => a.repeat([2, 2]).square()],
  ['squeeze/unsqueeze', () => [r(3, 1, 4)], (a) => a.squeeze(1).unsqueeze(0).square()],
  ['flatten', () => [r(2, 3, 4)], (a) => a.flatten(1).square()],
  ['pad', () => [r(2, 3)], (a) => F.pad(a, [1, 2], 0.5).square()],
  ['tril/triu', () => [r(4, 4)], (a) => a.tril(-1).add(a.triu(1).mul(2))],
  ['conv3d', () => [r(2, 3, 4, 5, 5), r(4, 3, 3, 3, 3), r(4)], (x, w, b) => F.conv3d(x, w, b, { stride: [1, 2, 2], padding: 1 })],
  ['conv3d groups dilation', () => [r(1, 4, 5, 6, 6), r(4, 2, 1, 3, 3)], (x, w) => F.conv3d(x, w, null, { dilation: [1, 2, 2], groups: 2 })],
  ['conv2d', () => [r(2, 3, 6, 6), r(4, 3, 3, 3), r(4)], (x, w, b) => F.conv2d(x, w, b, { padding: 1, stride: 2 })],
  ['conv1d', () => [r(2, 3, 8), r(4, 3, 3)], (x, w) => F.conv1d(x, w, null, { padding: 1 })],
  ['linear', () => [r(4, 5), r(3, 5), r(3)], (x, w, b) => F.linear(x, w, b)],
  ['batchNorm training', () => [r(4, 3, 2, 3, 3), r(3), r(3)], (x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true })],
  ['batchNorm eval', () => [r(4, 3, 5), r(3), r(3)], (x, w, b) => F.batchNorm(x, { weight: w, bias: b, runningMean: mk([0.1, -0.2, 0.3], { dtype: 'float64' }), runningVar: mk([1.5, 0.5, 2], { dtype: 'float64' }), training: false })],
  ['layerNorm', () => [r(4, 6), r(6), r(6)], (x, w, b) => F.layerNorm(x, 6, w, b)],
  ['groupNorm', () => [r(2, 4, 3, 3), r(4), r(4)], (x, w, b) => F.groupNorm(x, 2, w, b)],
  ['maxPool3d', () => [r(1, 2, 4, 6, 6)], (x) => F.maxPool3d(x, [1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] })],
  ['maxPool2d', () => [r(1, 2, 6, 6)], (x) => F.maxPool2d(x, 2)],
  ['avgPool3d', () => [r(1, 2, 4, 6, 6)], (x) => F.avgPool3d(x, [2, 3, 3], { stride: [2, 2, 2], padding: [0, 1, 1] })],
  ['avgPool2d', () => [r(1, 2, 6, 6)], (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false })],
  ['adaptiveAvgPool3d', () => [r(2, 3, 4, 5, 5)], (x) => F.adaptiveAvgPool3d(x, [1, 2, 2])],
  ['adaptiveAvgPool2d', () => [r(2, 3, 5, 5)], (x) => F.adaptiveAvgPool2d(x, 3)],
  ['dropout (seeded mask)', () => [r(50)], (x) => F.dropout(x, 0.3, true), { seed: 7 }],
  ['softmax', () => [r(3, 5)], (x) => F.softmax(x, 1)],
  ['logSoftmax', () => [r(3, 5)], (x) => F.logSoftmax(x, 1)],
  ['normalize', () => [r(4, 6)], (x) => F.normalize(x, { dim: 1 })],
  ['interpolate trilinear', () => [r(1, 2, 3, 4, 4)], (x) => F.interpolate(x, [4, 6, 5], 'trilinear')],
  ['interpolate bilinear align', () => [r(1, 2, 4, 4)], (x) => F.interpolate(x, [7, 3], 'bilinear', true)],
  ['interpolate bicubic', () => [r(1, 1, 4, 4)], (x) => F.interpolate(x, [6, 6], 'bicubic')],
  ['interpolate nearest 3d', () => [r(1, 2, 2, 3, 3)], (x) => F.interpolate(x, [4, 6, 6], 'nearest')],
  ['interpolate area', () => [r(1, 2, 6, 6)], (x) => F.interpolate(x, [3, 2], 'area')],
  ['gridSample 2d', () => [r(1, 2, 5, 5), rand([1, 3, 4, 2], { dtype: 'float64' }).mul(1.6).sub(0.8)], (x, g) => F.gridSample(x, g)],
  ['gridSample 3d', () => [r(1, 2, 3, 4, 4), rand([1, 2, 3, 3, 3], { dtype: 'float64' }).mul(1.6).sub(0.8)], (x, g) => F.gridSample(x, g, { alignCorners: true })],
  ['roiAlign', () => [r(2, 2, 5, 6)], (x) => F.roiAlign(x, mk([[1, -0.7, 0.4, 4.2, 3.9], [0, 1.1, 1.3, 2.2, 2.9]], { dtype: 'float64' }), [2, 3], { aligned: true })],
  ['crossEntropy indices', () => [r(4, 5)], (x) => F.crossEntropy(x, idx([0, 4, 2, 2]), { labelSmoothing: 0.1 })],
  ['crossEntropy probabilities', () => [r(3, 4), pos(3, 4)], (x, p) => F.crossEntropy(x, p.div(p.sum(1, true)), { reduction: 'sum' })],
  ['nllLoss', () => [r(4, 5)], (x) => F.nllLoss(F.logSoftmax(x, 1), idx([1, 1, 3, 0]))],
  ['mseLoss', () => [r(4, 5), r(4, 5)], (x, y) => F.mseLoss(x, y)],
  ['smoothL1Loss', () => [r(4, 5), r(4, 5)], (x, y) => F.smoothL1Loss(x, y, 'sum', 0.5)],
  ['bceWithLogits', () => [r(4, 5), rand([4, 5], { dtype: 'float64' })], (x, y) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: mk([1, 2, 3, 1, 0.5], { dtype: 'float64' }) })],
];

for (const [name, inputs, fn, opts] of cases) {
  test(`gradcheck ${name}`, () => {
    manualSeed(1234);
    tidy(() => {
      const worst = gradcheck(fn, inputs(), { ...opts });
      assert.ok(Number.isFinite(worst));
    });
  });
}

test('gradcheck detects a wrong gradient', () => {
  tidy(() => {
    // detach() hides half of the dependence, so the analytic gradient is wrong and must be caught.
    assert.throws(() => gradcheck((a) => a.mul(a.detach()), [r(4)]), /gradient mismatch/);
  });
});
