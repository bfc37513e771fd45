// The detector checkpoint: a last-stage stride change keeps the weights and halves the stride; a
// saved detector reloads to the same outputs; other checkpoints are refused by file name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { manualSeed, randn, tensor, tidy } from '../../../src/torch/index.js';
import { createModel } from '../../../src/models/index.js';
import { saveEncoder } from '../../../src/models/checkpoint.js';
import { ActionDetector, loadActionDetector, withLastStride, type DetectorMeta } from '../../../src/eval/detection/action-detector.js';
import { encoderSpatialStride } from '../../../src/eval/detection/roi-head.js';
import { tempDir } from '../../helpers/python.js';

test('withLastStride keeps the weights, halves the stride and records it in the spec', () => {
  manualSeed(1);
  const enc = createModel('r3d_18_tiny');
  const spec = { arch: 'r3d_18_tiny', overrides: {} };
  const r = withLastStride(enc, spec, 1);
  assert.equal(encoderSpatialStride(enc.config), 16);
  assert.equal(encoderSpatialStride(r.encoder.config), 8);
  assert.deepEqual(r.spec, { arch: 'r3d_18_tiny', overrides: { spatialStrides: [1, 2, 2, 1] } });
  tidy(() => {
    const a = enc.stateDict(), b = r.encoder.stateDict();
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.ok(v.sub(b.get(k)!).abs().sum().item() === 0, k);
  });
  assert.equal(withLastStride(r.encoder, r.spec, 1).encoder, r.encoder, 'already at that stride: unchanged');
});

test('a saved detector reloads with the same outputs; an encoder-only checkpoint is refused', () => {
  manualSeed(2);
  const dir = tempDir('cvrl-detector-');
  const { encoder, spec } = withLastStride(createModel('r3d_18_tiny'), { arch: 'r3d_18_tiny', overrides: {} }, 1);
  const model = new ActionDetector(encoder, 3, { dropout: 0.3 });
  const meta: DetectorMeta = { classes: [4, 1, 7], names: ['d', 'a', 'g'], resolution: 7, dropout: 0.3, clip: { frames: 4, stride: 2, size: 32, timeOffset: 0 } };
  const file = join(dir, 'detector.safetensors');
  model.save(file, spec, meta);
  const back = loadActionDetector(file);
  assert.deepEqual(back.meta, meta);
  assert.deepEqual(back.spec, spec);
  tidy(() => {
    const clips = randn([2, 3, 4, 32, 32]), boxes = tensor([[0, 2, 2, 20, 30], [1, 8, 0, 32, 16]]);
    const a = model.eval().forward(clips, boxes), b = back.model.eval().forward(clips, boxes);
    assert.deepEqual(a.shape, [2, 3]);
    assert.ok(a.sub(b).abs().amax().item() < 1e-6);
  });
  const encOnly = join(dir, 'encoder.safetensors');
  saveEncoder(encOnly, spec, encoder);
  assert.throws(() => loadActionDetector(encOnly), { message: `${encOnly}: not a detector checkpoint (metadata "detector" with classes, names, resolution, dropout and clip missing or malformed)` });
});
