import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, fromTypedArray, randn, stack, manualSeed, tidy, noGrad } from '../../src/torch/index.js';
import { alignedFrameDifferences, estimateShifts, shiftedDifferences } from '../../src/models/aligned-differences.js';
import { frameDifferences } from '../../src/models/resnet3d.js';
import { createModel } from '../../src/models/index.js';
import { exportOnnx } from '../../src/models/onnx-export.js';
import { gradcheck } from '../helpers/gradcheck.js';

/** A smooth random texture [1, 3, H, W]. */
function texture(h: number, w: number): Tensor {
  return F.avgPool2d(randn([1, 3, h, w]), 5, { stride: 1, padding: 2 });
}

/** `image` [1, C, H, W] read at p + offset (the camera moved by -offset), edges repeated. */
function translate(image: Tensor, dx: number, dy: number): Tensor {
  const [, , h, w] = image.shape;
  const g = new Float32Array(h * w * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      g[(y * w + x) * 2] = ((x + 0.5 + dx) / w) * 2 - 1;
      g[(y * w + x) * 2 + 1] = ((y + 0.5 + dy) / h) * 2 - 1;
    }
  }
  return F.gridSample(image, fromTypedArray(g, [1, h, w, 2]), { paddingMode: 'border' });
}

/** A clip [1, 3, T, H, W] of a still texture seen from camera offsets `path`. */
function panned(image: Tensor, path: number[][]): Tensor {
  return stack(path.map(([dx, dy]) => translate(image, dx, dy)), 2);
}

test('estimateShifts recovers sub-pixel camera translations between consecutive frames (48 and 112 pixels)', () => {
  manualSeed(11);
  tidy(() => {
    for (const [side, path] of [
      [48, [[0, 0], [1.3, -0.7], [-1.1, 1.5], [-0.6, 1.75], [-0.6, 1.75]]],
      [112, [[0, 0], [5.2, -3.4], [2.0, 0.5], [-3.5, 4.0]]],
    ] as [number, number[][]][]) {
      const got = estimateShifts(panned(texture(side, side), path));
      for (let p = 0; p + 1 < path.length; p++) {
        const want = [path[p + 1][0] - path[p][0], path[p + 1][1] - path[p][1]];
        const err = Math.hypot(got[p * 2] - want[0], got[p * 2 + 1] - want[1]);
        assert.ok(err < 0.2 * side / 24, `${side} px, pair ${p}: estimated (${got[p * 2]}, ${got[p * 2 + 1]}), moved (${want})`);
      }
    }
  });
});

test("a shaking camera's differences vanish once aligned; an object moving on a textured still background keeps them", () => {
  manualSeed(12);
  tidy(() => {
    const bg = texture(48, 48);
    const shaken = panned(bg, [[0, 0], [1.2, 0.4], [-0.5, 1.5], [0.8, -1.0]]);
    const interior = (d: Tensor) => d.narrow(2, 0, 3).narrow(3, 6, 36).narrow(4, 6, 36).abs().mean().item();
    const plain = interior(frameDifferences(shaken)), aligned = interior(alignedFrameDifferences(shaken));
    assert.ok(aligned < 0.25 * plain, `shake: aligned ${aligned} vs plain ${plain}`);
    // A square moving right over the still texture: the search follows the background, so the
    // square's own motion stays in the differences.
    const unit = bg.div(bg.std().item());
    const square = (scene: () => Tensor) => stack([0, 2, 4, 6].map((x0) => {
      const f = scene();
      noGrad(() => f.narrow(2, 20, 8).narrow(3, 10 + x0, 8).add_(2));
      return f;
    }), 2);
    const moving = square(() => unit.clone());
    for (const v of estimateShifts(moving)) assert.ok(Math.abs(v) < 0.6, `still camera estimated to move ${v} px`);
    // On a flat background the square's motion is the dominant one: its translation is removed.
    const flat = estimateShifts(square(() => randn([1, 3, 48, 48]).mul(0.05)));
    for (let p = 0; p < 3; p++) assert.ok(Math.abs(flat[p * 2] + 2) < 0.5 && Math.abs(flat[p * 2 + 1]) < 0.5, `flat: (${flat[p * 2]}, ${flat[p * 2 + 1]})`);
    const around = (d: Tensor) => d.narrow(2, 0, 3).narrow(3, 18, 12).narrow(4, 8, 32).abs().sum().item();
    const kept = around(alignedFrameDifferences(moving)) / around(frameDifferences(moving));
    assert.ok(kept > 0.85, `aligned differences keep ${kept} of the moving square's`);
  });
});

test('shiftedDifferences: gradient check at fractional shifts; the last frame is zero; shift count checked', () => {
  manualSeed(13);
  tidy(() => {
    const shifts = Float32Array.from([0.3, -1.6, 2.25, 0.5, -0.7, 0.1, 0, 1.4]);
    gradcheck((x) => shiftedDifferences(x, shifts), [randn([2, 2, 3, 6, 7], { dtype: 'float64' })], { maxElements: 120 });
    const d = shiftedDifferences(randn([2, 2, 3, 6, 7]), shifts);
    assert.deepEqual(d.shape, [2, 2, 3, 6, 7]);
    assert.equal(d.select(2, 2).abs().amax().item(), 0);
    assert.throws(() => shiftedDifferences(randn([2, 2, 3, 6, 7]), shifts.subarray(2)), /need 4 shifts/);
  });
});

test("input 'aligned-diff': the encoder runs on it; ONNX export refuses it by name", () => {
  manualSeed(14);
  tidy(() => {
    const m = createModel('r3d_18_tiny', { input: 'aligned-diff' });
    m.eval();
    const y = noGrad(() => m.forward(randn([2, 3, 4, 32, 32])));
    assert.deepEqual(y.shape, [2, m.featureDim]);
    assert.ok(Number.isFinite(y.sum().item()));
    assert.throws(() => exportOnnx(m), /ONNX export does not support input 'aligned-diff'/);
  });
});
