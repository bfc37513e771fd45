// The AVA RoI action head: shapes, the encoder stride, BCE-with-logits in closed form, that a few
// steps lower the loss on a fixed problem, and that gradients reach the encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, manualSeed, tidy, noGrad, zeros } from '../../../src/torch/index.js';
import { createModel, modelConfig } from '../../../src/models/index.js';
import { AdamW } from '../../../src/optim/index.js';
import { RoiActionHead, encoderSpatialStride } from '../../../src/eval/detection/roi-head.js';

const boxes = () => tensor([[0, 4, 8, 40, 60], [0, 30, 2, 63, 50], [1, -5, 10, 20, 70], [1, 16, 16, 48, 48]]);
const targets = () => tensor([[1, 0, 0, 1, 0], [0, 1, 0, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 1]]);

test('encoderSpatialStride matches the feature map of r3d_18 (16) and gives the head its spatial scale', () => {
  tidy(() => {
    assert.equal(encoderSpatialStride(modelConfig('r3d_18')), 16);
    const enc = createModel('r3d_18', { width: 0.125 }).eval();
    const fmap = noGrad(() => enc.forwardFeatures(randn([2, 3, 4, 64, 64])));
    assert.deepEqual(fmap.shape.slice(3), [64 / 16, 64 / 16]);
    const head = new RoiActionHead(enc.featureDim, 5, { spatialScale: 1 / 16 });
    const logits = head.eval().forward(fmap, boxes());
    assert.deepEqual(logits.shape, [4, 5]);
    assert.equal(head.resolution, 7);
    assert.throws(() => head.forward(fmap.mean(2), boxes()), /fmap must be \[B, 64, T, h, w\]/);
    assert.throws(() => new RoiActionHead(0, 5, { spatialScale: 1 }), /inDim/);
    assert.throws(() => RoiActionHead.loss(logits, zeros([4, 3])), /targets \[4, 3\] must match logits \[4, 5\]/);
  });
});

test('RoiActionHead.loss is the mean sigmoid cross entropy (closed form)', () => {
  tidy(() => {
    const l = RoiActionHead.loss(tensor([[0, 2], [-1, 3]]), tensor([[1, 0], [0, 1]])).item();
    const sp = (v: number) => Math.log1p(Math.exp(v)); // softplus: -log sigmoid(-v)
    const expected = (sp(-0) + sp(2) + sp(-1) + sp(-3)) / 4;
    assert.ok(Math.abs(l - expected) < 1e-6, `${l} vs ${expected}`);
  });
});

test('a few AdamW steps on a fixed problem lower the head loss', () => {
  manualSeed(2);
  tidy(() => {
    const fmap = randn([2, 16, 2, 4, 4]);
    const head = new RoiActionHead(16, 5, { spatialScale: 1 / 16, dropout: 0 });
    const opt = new AdamW(head.parameters(), { lr: 0.05, weightDecay: 0 });
    const b = boxes(), y = targets();
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      tidy(() => {
        opt.zeroGrad();
        const loss = RoiActionHead.loss(head.forward(fmap, b), y);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      });
    }
    console.log(`head loss ${losses[0].toFixed(4)} -> ${losses[19].toFixed(4)} in 20 steps`);
    assert.ok(losses[19] < 0.5 * losses[0], `loss ${losses[0]} -> ${losses[19]}`);
  });
});

test('gradients reach the encoder through RoIAlign', () => {
  manualSeed(4);
  tidy(() => {
    const enc = createModel('r3d_18', { width: 0.125 });
    const head = new RoiActionHead(enc.featureDim, 5, { spatialScale: 1 / encoderSpatialStride(enc.config) });
    const loss = RoiActionHead.loss(head.forward(enc.forwardFeatures(randn([2, 3, 4, 64, 64])), boxes()), targets());
    loss.backward();
    const first = enc.parameters()[0];
    assert.ok(first.grad, 'the stem conv has a gradient');
    assert.ok(first.grad.abs().sum().item() > 0, 'the stem gradient is not zero');
    assert.ok(head.fc.weight.grad!.abs().sum().item() > 0);
  });
});
