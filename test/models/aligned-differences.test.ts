import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, fromTypedArray, randn, stack, manualSeed, tidy, noGrad } from '../../src/torch/index.js';
import { alignedFrameDifferences, estimateShifts, shiftedDifferences, shiftCostsByOps } from '../../src/models/aligned-differences.js';
import { native } from '../../src/native/addon.js';
import { wrap } from '../../src/torch/tensor.js';
import { frameDifferences } from '../../src/models/resnet3d.js';
import { createModel } from '../../src/models/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { tempDir } from '../helpers/python.js';
import { tinyEncoder, exportTiny, maxAbsDiff } from '../helpers/onnx-models.js';
import { optionalModule } from '../helpers/optional-module.js';

const { mod: ort, skip: noOrt } = await optionalModule<typeof import('onnxruntime-node')>('onnxruntime-node');

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

test('shiftedDifferences: the native pass for clips without gradient equals the differentiable version', () => {
  manualSeed(14);
  tidy(() => {
    // Shifts inside the frame, across its edge (clamped), integer and fractional, on odd sizes.
    const shifts = Float32Array.from([0.3, -1.6, 2.25, 0.5, -0.7, 0.1, 0, 1.4, 9.5, -12, -3, 3, 0.999, -0.001]);
    const x = randn([2, 3, 4, 9, 11]).mul(50);
    const fast = shiftedDifferences(x, shifts.subarray(0, 12));
    const reference = shiftedDifferences(x.clone().requiresGrad_(), shifts.subarray(0, 12)).detach();
    const diff = fast.sub(reference).abs().amax().item();
    assert.ok(diff < 1e-3, `max abs diff ${diff} on values of about 50`);
    assert.equal(fast.select(2, 3).abs().amax().item(), 0);
    const one = randn([1, 1, 2, 48, 48]);
    assert.ok(shiftedDifferences(one, shifts.subarray(12)).sub(shiftedDifferences(one.clone().requiresGrad_(), shifts.subarray(12)).detach()).abs().amax().item() < 1e-5);
  });
});

test('the native shift-search costs equal the tensor ops version; bad arguments are refused', () => {
  manualSeed(15);
  tidy(() => {
    for (const [shape, pool, r] of [[[2, 3, 5, 48, 40], 2, 2], [[1, 3, 3, 21, 17], 1, 2], [[1, 1, 2, 30, 30], 3, 1]] as const) {
      const x = randn([...shape]).mul(3);
      const ours = wrap(native.shiftCosts(x.handle, pool, r)), ref = shiftCostsByOps(x, pool, r);
      assert.deepEqual(ours.shape, ref.shape);
      const rel = ours.sub(ref).abs().amax().item() / ref.abs().amax().item();
      assert.ok(rel < 1e-5, `${shape}: relative difference ${rel}`);
    }
    assert.throws(() => native.shiftCosts(randn([1, 3, 1, 24, 24]).handle, 1, 2), /at least 2 frames/);
    assert.throws(() => native.shiftCosts(randn([1, 3, 2, 8, 8]).handle, 2, 2), /radius 2 does not fit 4x4/);
  });
});

/** The shift-search costs as native/aligned_differences.cc defines them, one shift at a time: float steps through Math.fround, sums in double. */
function shiftCostsReference(x: Float32Array, [B, C, T, H, W]: number[], pool: number, r: number): Float32Array {
  const f = Math.fround, h = Math.floor(H / pool), w = Math.floor(W / pool), side = 2 * r + 1;
  const gray = new Float32Array(B * T * h * w);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const mono = new Float32Array(H * W);
      for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) mono[i] = f(mono[i] + x[((b * C + c) * T + t) * H * W + i]);
      for (let i = 0; i < H * W; i++) mono[i] = f(mono[i] / C);
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          let sum = 0;
          for (let i = 0; i < pool; i++) for (let j = 0; j < pool; j++) sum = f(sum + mono[(y * pool + i) * W + xx * pool + j]);
          gray[((b * T + t) * h + y) * w + xx] = f(sum / (pool * pool));
        }
      }
    }
  }
  const out = new Float32Array(B * (T - 1) * side * side);
  for (let pair = 0; pair < B * (T - 1); pair++) {
    const prev = (Math.floor(pair / (T - 1)) * T + (pair % (T - 1))) * h * w, next = prev + h * w;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        let sum = 0;
        for (let y = r; y < h - r; y++) {
          for (let xx = r; xx < w - r; xx++) {
            const d = f(gray[next + y * w + xx] - gray[prev + (y + dy) * w + xx + dx]);
            sum += d * d; // exact in double, as the native product of two floats
          }
        }
        out[pair * side * side + (dy + r) * side + dx + r] = f(sum / ((h - 2 * r) * (w - 2 * r)));
      }
    }
  }
  return out;
}

test('the native shift-search costs equal a one-shift-at-a-time reference to the bit', () => {
  manualSeed(16);
  tidy(() => {
    for (const [shape, pool, r] of [[[2, 3, 3, 24, 20], 2, 2], [[1, 3, 2, 13, 11], 1, 1]] as const) {
      const x = randn([...shape]).mul(3);
      const ours = wrap(native.shiftCosts(x.handle, pool, r)).toTypedArray() as Float32Array;
      assert.deepEqual(Array.from(ours), Array.from(shiftCostsReference(x.toTypedArray() as Float32Array, [...shape], pool, r)), `${shape}`);
    }
  });
});

test("input 'aligned-diff': the encoder runs on it", () => {
  manualSeed(14);
  tidy(() => {
    const m = createModel('r3d_18_tiny', { input: 'aligned-diff' });
    m.eval();
    const y = noGrad(() => m.forward(randn([2, 3, 4, 32, 32])));
    assert.deepEqual(y.shape, [2, m.featureDim]);
    assert.ok(Number.isFinite(y.sum().item()));
  });
});

test("ONNX export of an 'aligned-diff' encoder searches and applies the shifts in the graph, matching our forward", { skip: noOrt }, async (t) => {
  manualSeed(15);
  const dir = tempDir();
  const enc = tinyEncoder('r3d_18', { input: 'aligned-diff' });
  const file = exportTiny(dir, 'r3d_18', enc, { input: 'aligned-diff' }, 'aligned.onnx');
  const session = await ort!.InferenceSession.create(file);
  // The same weights on plain differences: what the graph would give if it skipped the alignment.
  const plain = tinyEncoder('r3d_18', { input: 'diff' });
  plain.loadStateDict(enc.stateDict());
  // Pooling 1, 2 and 4 (the search runs on about 24 pixels), textured pans with sub-pixel steps, noise, and a two-frame clip.
  const clips: [string, Tensor][] = [
    ['pan 48x48', panned(texture(48, 48), [[0, 0], [1.3, -0.7], [-1.1, 1.5], [-0.6, 1.75], [0.4, 0.2], [2, 0], [2.6, -1.2], [1, 1]])],
    ['pan 120x96', panned(texture(96, 120), [[0, 0], [5.2, -3.4], [2.0, 0.5], [-3.5, 4.0]])],
    ['noise 2x32x40', randn([2, 3, 4, 32, 40])],
    ['two frames 40x30', panned(texture(30, 40), [[0, 0], [0.5, -1.5]])],
  ];
  for (const [name, x] of clips) {
    const ours = noGrad(() => enc.forward(x));
    const out = await session.run({ clips: new ort!.Tensor('float32', Float32Array.from(x.toTypedArray() as Float32Array), x.shape) });
    const d = maxAbsDiff(out.features.data as Float32Array, ours);
    assert.ok(d < 1e-4, `${name}: features max abs diff ${d}`);
    const unaligned = maxAbsDiff(out.features.data as Float32Array, noGrad(() => plain.forward(x)));
    assert.ok(unaligned > 100 * d, `${name}: ${unaligned} from plain differences`);
    t.diagnostic(`${name} [${x.shape.join(', ')}]: max abs diff ${d.toExponential(2)}`);
  }
});
