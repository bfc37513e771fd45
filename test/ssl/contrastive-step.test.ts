import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, manualSeed, noGrad, cat, type Tensor } from '../../src/torch/index.js';
import { createModel } from '../../src/models/index.js';
import { CvrlModel } from '../../src/ssl/cvrl-model.js';
import { ntXent } from '../../src/ssl/ntxent.js';
import { contrastiveLoss, shuffledOrder, type ContrastiveOptions } from '../../src/ssl/contrastive-step.js';
import { staticClips } from '../../src/video/static-frames.js';
import { decorrelationLoss } from '../../src/ssl/decorrelation.js';
import { Rng } from '../../src/video/rng.js';
import { drawPseudoMotion, pseudoMotionClips, PSEUDO_MOTIONS } from '../../src/video/pseudo-motion.js';
import { crossEntropy } from '../../src/torch/functional.js';
import { fromTypedArray } from '../../src/torch/creation.js';
import { noBf16Convolutions } from '../helpers/bf16.js';

const plain: ContrastiveOptions = { temperature: 0.1, bf16: false, bgEraseProb: 0, bgEraseMax: 0.5, bgEraseMix: false, staticNegatives: false, reverseNegatives: false, shuffleNegatives: false, decorrelation: 0, pseudoMotion: 0 };

function setup(): { model: CvrlModel; clips: Tensor[] } {
  manualSeed(0);
  const model = new CvrlModel(createModel('r3d_18_tiny'), { hiddenDim: 16, outDim: 8, hiddenLayers: 1 });
  model.eval(); // fixed BatchNorm statistics: a forward does not depend on what else is in the batch
  return { model, clips: [0, 1, 2].map(() => randn([3, 3, 4, 16, 16])) };
}

test('contrastive step: rho = 3 views all reach the loss, which equals NT-Xent of the three projections', async () => {
  const { model, clips } = setup();
  const l3 = await contrastiveLoss(model, clips, plain, Rng.from(1));
  const want = noGrad(() => tidy(() => ntXent(clips.map((x) => model.forward(x))).item()));
  assert.ok(Math.abs(l3.item() - want) < 1e-4, `${l3.item()} vs ${want}`);
  const l2 = await contrastiveLoss(model, clips.slice(0, 2), plain, Rng.from(1));
  assert.notEqual(l3.item(), l2.item());
  l3.backward();
  const g = model.encoder.parameters()[0].grad;
  assert.ok(g && g.abs().sum().item() > 0);
  [l2, l3].forEach((t) => t.dispose());
  clips.forEach((c) => c.dispose());
});

test('contrastive step: static clips enter the loss as negatives, drawn from the rng', async () => {
  const { model, clips } = setup();
  const views = clips.slice(0, 2);
  const l = await contrastiveLoss(model, views, { ...plain, staticNegatives: true }, Rng.from(7));
  // The same frames the step drew: rng.int(T) per video, in order.
  const rng = Rng.from(7);
  const frames = [0, 1, 2].map(() => rng.int(4));
  const want = noGrad(() => tidy(() => {
    const still = staticClips(views[0], frames);
    return ntXent(views.map((x) => model.forward(x)), { negatives: model.forward(still) }).item();
  }));
  assert.ok(Math.abs(l.item() - want) < 1e-4, `${l.item()} vs ${want}`);
  const without = await contrastiveLoss(model, views, plain, Rng.from(7));
  assert.ok(l.item() > without.item(), 'extra negatives can only raise the loss');
  [l, without].forEach((t) => t.dispose());
  clips.forEach((c) => c.dispose());
});

test('contrastive step: time-reversed clips and static clips together enter the loss as negatives', async () => {
  const { model, clips } = setup();
  const views = clips.slice(0, 2);
  const l = await contrastiveLoss(model, views, { ...plain, staticNegatives: true, reverseNegatives: true }, Rng.from(7));
  const rng = Rng.from(7);
  const frames = [0, 1, 2].map(() => rng.int(4));
  const want = noGrad(() => tidy(() => {
    const negatives = cat([model.forward(staticClips(views[0], frames)), model.forward(views[0].flip([2]))], 0);
    return ntXent(views.map((x) => model.forward(x)), { negatives }).item();
  }));
  assert.ok(Math.abs(l.item() - want) < 1e-4, `${l.item()} vs ${want}`);
  l.dispose();
  clips.forEach((c) => c.dispose());
});

test('contrastive step: frame-shuffled clips enter the loss as negatives; the order is never the identity', async () => {
  const { model, clips } = setup();
  const views = clips.slice(0, 2);
  const l = await contrastiveLoss(model, views, { ...plain, shuffleNegatives: true }, Rng.from(9));
  const order = shuffledOrder(4, Rng.from(9));
  const want = noGrad(() => tidy(() => {
    const negatives = model.forward(views[0].indexSelect(2, fromTypedArray(Int32Array.from(order))));
    return ntXent(views.map((x) => model.forward(x)), { negatives }).item();
  }));
  assert.ok(Math.abs(l.item() - want) < 1e-4, `${l.item()} vs ${want}`);
  l.dispose();
  clips.forEach((c) => c.dispose());
  const rng = Rng.from(3);
  for (let k = 0; k < 200; k++) {
    const o = shuffledOrder(2 + (k % 7), rng);
    assert.deepEqual([...o].sort((a, b) => a - b), o.map((_, i) => i));
    assert.ok(o.filter((f, i) => f !== i).length * 2 >= o.length, `${o} moves too few frames`);
  }
  assert.throws(() => shuffledOrder(1, rng), /at least 2 frames/);
});

test('contrastive step: the decorrelation penalty on the encoder features joins the loss with its weight', async () => {
  const { model, clips } = setup();
  const views = clips.slice(0, 2);
  const l = await contrastiveLoss(model, views, { ...plain, decorrelation: 0.5 }, Rng.from(2));
  const want = noGrad(() => tidy(() => {
    const f = views.map((x) => model.encoder.forward(x));
    const reg = (decorrelationLoss(f[0]).item() + decorrelationLoss(f[1]).item()) / 2;
    return ntXent(f.map((x) => model.head.forward(x))).item() + 0.5 * reg;
  }));
  assert.ok(Math.abs(l.item() - want) < 1e-4, `${l.item()} vs ${want}`);
  l.dispose();
  clips.forEach((c) => c.dispose());
});

test('contrastive step: background erasing changes the inputs only when its probability is > 0', async () => {
  const { model, clips } = setup();
  const views = clips.slice(0, 2);
  const off = await contrastiveLoss(model, views, { ...plain, bgEraseProb: 0 }, Rng.from(3));
  const on = await contrastiveLoss(model, views, { ...plain, bgEraseProb: 1, bgEraseMax: 0.9 }, Rng.from(3));
  const base = noGrad(() => tidy(() => ntXent(views.map((x) => model.forward(x))).item()));
  assert.ok(Math.abs(off.item() - base) < 1e-4);
  assert.ok(Math.abs(on.item() - base) > 1e-4);
  [off, on].forEach((t) => t.dispose());
  clips.forEach((c) => c.dispose());
});

test('contrastive step: the pseudo-motion loss joins with its weight and trains the motion head and the encoder', async () => {
  manualSeed(0);
  const model = new CvrlModel(createModel('r3d_18_tiny'), { hiddenDim: 16, outDim: 8, hiddenLayers: 1 }, PSEUDO_MOTIONS.length);
  model.eval();
  const views = [0, 1].map(() => randn([3, 3, 4, 16, 16]));
  const parts: Record<string, number> = {};
  const l = await contrastiveLoss(model, views, { ...plain, pseudoMotion: 0.5 }, Rng.from(3), undefined, parts);
  // The same draws the step made from the same seed.
  const { clips, labels } = pseudoMotionClips(views[0], drawPseudoMotion(3, 4, Rng.from(3)));
  const nt = noGrad(() => tidy(() => ntXent(views.map((x) => model.forward(x))).item()));
  const ce = noGrad(() => tidy(() => crossEntropy(model.motionHead!.forward(model.encoder.forward(clips)), fromTypedArray(labels).long()).item()));
  assert.ok(Math.abs(l.item() - (nt + 0.5 * ce)) < 1e-4, `${l.item()} vs ${nt + 0.5 * ce}`);
  assert.ok(Math.abs(parts.ntxent - nt) < 1e-4 && Math.abs(parts.pseudo_motion - ce) < 1e-4, JSON.stringify(parts));
  l.backward();
  for (const p of [model.motionHead!.parameters()[0], model.encoder.parameters()[0]]) assert.ok(p.grad && p.grad.abs().sum().item() > 0);
  await assert.rejects(contrastiveLoss(setup().model, views, { ...plain, pseudoMotion: 1 }, Rng.from(3)), /motion head/);
  [l, clips, ...views].forEach((t) => t.dispose());
});

test('contrastive step: under bf16 autocast the decorrelation term is computed in float32 and matches the fp32 step', { skip: noBf16Convolutions }, async () => {
  manualSeed(0);
  const model = new CvrlModel(createModel('r3d_18_tiny'), { hiddenDim: 16, outDim: 8, hiddenLayers: 1 }, PSEUDO_MOTIONS.length);
  model.eval();
  const views = [0, 1].map(() => randn([4, 3, 4, 16, 16]));
  const o = { ...plain, decorrelation: 1, pseudoMotion: 1 };
  const fp32: Record<string, number> = {}, bf16: Record<string, number> = {};
  const a = await contrastiveLoss(model, views, o, Rng.from(3), undefined, fp32);
  const b = await contrastiveLoss(model, views, { ...o, bf16: true }, Rng.from(3), undefined, bf16);
  for (const k of ['ntxent', 'decorrelation', 'pseudo_motion']) {
    assert.ok(Number.isFinite(bf16[k]), `${k}: ${bf16[k]}`);
    assert.ok(Math.abs(bf16[k] - fp32[k]) < 0.05 * Math.max(1, Math.abs(fp32[k])), `${k}: bf16 ${bf16[k]} vs fp32 ${fp32[k]}`);
  }
  b.backward();
  assert.ok(model.encoder.parameters()[0].grad!.abs().sum().item() > 0);
  [a, b].forEach((t) => t.dispose());
  views.forEach((c) => c.dispose());
});
