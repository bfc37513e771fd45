import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, manualSeed, type Tensor } from '../../src/torch/index.js';
import { blendStaticFrame, drawStaticBlend, staticClips } from '../../src/video/static-frames.js';
import { Rng } from '../../src/video/rng.js';

const maxAbs = (t: Tensor) => t.abs().amax().item();

test('background erasing: shape kept, x\' = (1 - a) x + a * still with one still for every frame of a clip', () => {
  manualSeed(0);
  tidy(() => {
    const x = randn([3, 2, 5, 4, 6], { dtype: 'float64' });
    const blend = { source: [0, 2, 1], frame: [4, 0, 2], alpha: [0.25, 0, 0.5] };
    const y = blendStaticFrame(x, blend);
    assert.deepEqual(y.shape, x.shape);
    for (let b = 0; b < 3; b++) {
      const still = x.select(0, blend.source[b]).select(1, blend.frame[b]);
      for (let t = 0; t < 5; t++) {
        const want = x.select(0, b).select(1, t).mul(1 - blend.alpha[b]).add(still.mul(blend.alpha[b]));
        assert.ok(maxAbs(y.select(0, b).select(1, t).sub(want)) < 1e-12, `clip ${b} frame ${t}`);
      }
    }
    // What erasing adds is the same in every frame: the difference between consecutive frames only shrinks by (1 - a).
    const dy = y.narrow(2, 1, 4).sub(y.narrow(2, 0, 4)), dx = x.narrow(2, 1, 4).sub(x.narrow(2, 0, 4));
    assert.ok(maxAbs(dy.select(0, 2).sub(dx.select(0, 2).mul(0.5))) < 1e-12);
    assert.throws(() => blendStaticFrame(x, { ...blend, alpha: [0.2, 1, 0] }), /blend weights in \[0, 1\)/);
    assert.throws(() => blendStaticFrame(x, { ...blend, source: [0, 3, 1] }), /source 3 is not a batch row/);
    assert.throws(() => blendStaticFrame(x, { ...blend, frame: [0, 5, 1] }), /frame 5 is not in 0..4/);
    assert.throws(() => blendStaticFrame(randn([3, 4]), blend), /expected clips/);
  });
});

test('static clips repeat the chosen frame of each clip', () => {
  tidy(() => {
    const x = randn([2, 3, 4, 5, 5]);
    const s = staticClips(x, [3, 1]);
    assert.deepEqual(s.shape, x.shape);
    for (let t = 0; t < 4; t++) {
      assert.equal(maxAbs(s.select(0, 0).select(1, t).sub(x.select(0, 0).select(1, 3))), 0);
      assert.equal(maxAbs(s.select(0, 1).select(1, t).sub(x.select(0, 1).select(1, 1))), 0);
    }
  });
});

test('drawStaticBlend: probability 0 is the identity, mix takes the still from another video', () => {
  const off = drawStaticBlend(6, 8, { prob: 0, maxAlpha: 0.5, mix: false }, Rng.from(1));
  assert.ok(off.alpha.every((a) => a === 0));
  assert.deepEqual(off.source, [0, 1, 2, 3, 4, 5]);
  const on = drawStaticBlend(200, 8, { prob: 1, maxAlpha: 0.4, mix: true }, Rng.from(2));
  assert.ok(on.alpha.every((a) => a >= 0 && a < 0.4));
  assert.ok(on.source.every((s, i) => s !== i && s >= 0 && s < 200));
  assert.ok(on.frame.every((f) => Number.isInteger(f) && f >= 0 && f < 8));
  assert.deepEqual(drawStaticBlend(5, 8, { prob: 0.5, maxAlpha: 0.4, mix: true }, Rng.from(3)), drawStaticBlend(5, 8, { prob: 0.5, maxAlpha: 0.4, mix: true }, Rng.from(3)));
});
