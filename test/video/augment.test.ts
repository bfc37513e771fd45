import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fromTypedArray, tidy, tensor, randn, rand, Tensor } from '../../src/torch/index.js';
import { saveSafetensors, loadSafetensors } from '../../src/nn/index.js';
import { Rng, cvrlViewConfigs, cropFlipConfig, sampleClipParams, sampleCrop, augmentClipAsync, augmentClipsNow, evalCrops, validateAugment } from '../../src/video/index.js';
import { adjustHue, adjustSaturation, adjustContrast, adjustBrightness, gaussianBlur } from '../helpers/color.js';
import { augmentClip } from '../helpers/augment-reference.js';
import { movingPattern } from '../helpers/videos.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

test('consistent augmentation draws one parameter set per clip; the ablation draws one per frame', () => {
  const [v1, v2] = cvrlViewConfigs(112);
  const rng = Rng.from(0);
  const p = sampleClipParams(v1, 16, 128, 171, rng);
  assert.equal(p.length, 16);
  assert.ok(p.every((x) => JSON.stringify(x) === JSON.stringify(p[0])), 'identical crop, flip, colour, blur for every frame');
  const q = sampleClipParams({ ...v1, consistent: false }, 16, 128, 171, rng);
  assert.ok(new Set(q.map((x) => JSON.stringify(x))).size > 1);
  // Per-view probabilities: blur always on clip 1, rarely on clip 2; solarize only on clip 2.
  const draws = Array.from({ length: 2000 }, (_, i) => [sampleClipParams(v1, 1, 64, 64, Rng.from(i))[0], sampleClipParams(v2, 1, 64, 64, Rng.from(i))[0]]);
  const rate = (f: (x: (typeof draws)[0]) => boolean) => draws.filter(f).length / draws.length;
  assert.equal(rate(([a]) => a.blur !== null), 1);
  assert.ok(Math.abs(rate(([, b]) => b.blur !== null) - 0.1) < 0.03);
  assert.equal(rate(([a]) => a.solarize), 0);
  assert.ok(Math.abs(rate(([, b]) => b.solarize) - 0.2) < 0.03);
  assert.ok(Math.abs(rate(([a]) => a.jitter !== null) - 0.8) < 0.03);
  assert.ok(Math.abs(rate(([a]) => a.grayscale) - 0.2) < 0.03);
  assert.ok(Math.abs(rate(([a]) => a.flip) - 0.5) < 0.04);
});

test('random resized crops respect the area and aspect ranges', () => {
  const rng = Rng.from(5);
  for (let i = 0; i < 1000; i++) {
    const c = sampleCrop(128, 171, [0.3, 1], [0.5, 2], rng);
    assert.ok(c.top >= 0 && c.left >= 0 && c.top + c.height <= 128 && c.left + c.width <= 171);
    const area = (c.height * c.width) / (128 * 171), ar = c.width / c.height;
    assert.ok(area > 0.28 && area <= 1.0001 && ar > 0.45 && ar < 2.2, `area ${area} aspect ${ar}`);
  }
  assert.throws(() => validateAugment({ ...cvrlViewConfigs(64)[0], cropArea: [0, 1] }), /cropArea/);
  assert.throws(() => validateAugment({ ...cvrlViewConfigs(64)[0], flipProb: 2 }), /flipProb must be in \[0, 1\]/);
});

test('consistent augmentation keeps a static clip static; inconsistent breaks it', () => {
  tidy(() => {
    const one = movingPattern(1, 48, 64);
    const still = new Uint8Array(8 * one.length);
    for (let t = 0; t < 8; t++) still.set(one, t * one.length);
    const frames = fromTypedArray(still, [8, 48, 64, 3]);
    const cfg = cvrlViewConfigs(32)[0];
    const out = augmentClip(frames, sampleClipParams(cfg, 8, 48, 64, Rng.from(1)), cfg);
    assert.deepEqual(out.shape, [3, 8, 32, 32]);
    const spread = (x: Tensor) => x.sub(x.narrow(1, 0, 1)).abs().amax().item();
    assert.ok(spread(out) < 1e-6, 'every frame transformed identically');
    const bad = augmentClip(frames, sampleClipParams({ ...cfg, consistent: false }, 8, 48, 64, Rng.from(1)), cfg);
    assert.ok(spread(bad) > 0.1);
    const ev = evalCrops(fromTypedArray(still, [8, 48, 64, 3]), 40, 3);
    assert.deepEqual(ev.shape, [3, 3, 8, 40, 40]);
    const x = cropFlipConfig(32);
    assert.equal(x.jitterProb + x.blurProb + x.grayscaleProb + x.solarizeProb, 0);
  });
});

test('colour ops match torchvision.transforms.functional', { skip: !torchAvailable() && 'python3-torch missing' }, (t) => {
  const dir = tempDir();
  tidy(() => {
    const img = rand([2, 3, 20, 24]);
    saveSafetensors(join(dir, 'in.safetensors'), { img });
    const out = runPython(`
try:
    import torchvision.transforms.functional as TF
except ImportError:
    print('missing'); sys.exit(0)
t, _ = st_ref.load(os.path.join(DIR, 'in.safetensors'))
x = t['img']
res = {'hue': TF.adjust_hue(x, 0.17), 'hue_neg': TF.adjust_hue(x, -0.2), 'sat': TF.adjust_saturation(x, 1.6),
       'con': TF.adjust_contrast(x, 0.4), 'bri': TF.adjust_brightness(x, 1.3)}
st_ref.save(res, os.path.join(DIR, 'out.safetensors'))
print('ok')
`, dir);
    if (out.trim() === 'missing') return t.skip('torchvision is not installed');
    const ref = loadSafetensors(join(dir, 'out.safetensors')).tensors;
    const close = (a: Tensor, k: string, tol: number) => {
      const d = a.sub(ref.get(k)!).abs().amax().item();
      assert.ok(d < tol, `${k}: max abs difference ${d}`);
    };
    close(adjustHue(img, 0.17), 'hue', 1e-4);
    close(adjustHue(img, -0.2), 'hue_neg', 1e-4);
    close(adjustSaturation(img, 1.6), 'sat', 1e-5);
    close(adjustContrast(img, 0.4), 'con', 1e-5);
    close(adjustBrightness(img, 1.3), 'bri', 1e-6);
  });
});

test('Gaussian blur preserves the mean of a constant interior and matches a direct computation', () => {
  tidy(() => {
    const x = randn([1, 3, 15, 15]);
    const y = gaussianBlur(x, 1.2, 5);
    // Direct: pixel (7,7) of channel 0 is a weighted 5x5 sum.
    const w = [-2, -1, 0, 1, 2].map((d) => Math.exp(-(d * d) / (2 * 1.44)));
    const s = w.reduce((a, b) => a + b);
    const xs = x.toArray();
    let direct = 0;
    for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) direct += (w[i + 2] / s) * (w[j + 2] / s) * xs[(7 + i) * 15 + 7 + j];
    assert.ok(Math.abs(y.toArray()[7 * 15 + 7] - direct) < 1e-5);
    const c = gaussianBlur(tensor([[[[0.5]]]]).expand([1, 3, 9, 9]).contiguous(), 2, 3);
    assert.ok(Math.abs(c.toArray()[4 * 9 + 4] - 0.5) < 1e-6);
  });
});

test('the native (worker-thread) augmentation equals the TypeScript one for every op', async () => {
  const frames = fromTypedArray(movingPattern(6, 40, 56), [6, 40, 56, 3]);
  const [v1, v2] = cvrlViewConfigs(24);
  // The last three: an 11-tap blur (as at 112 pixels), crops smaller than the output (upsampling),
  // and an odd size (the vectorised loops' remainders).
  const configs = [v1, v2, { ...v1, jitterProb: 1, grayscaleProb: 0.5 }, { ...v2, solarizeProb: 1, blurProb: 1 }, { ...v1, consistent: false },
    { ...cvrlViewConfigs(36)[0], blurKernelFraction: 0.31, jitterProb: 1 }, { ...cvrlViewConfigs(48)[1], cropArea: [0.08, 0.2] as [number, number], jitterProb: 1 },
    { ...cvrlViewConfigs(37)[0], flipProb: 1, blurKernelFraction: 0.2, jitterProb: 1 }];
  for (let i = 0; i < 28; i++) {
    const cfg = configs[i % configs.length];
    const params = sampleClipParams(cfg, 6, 40, 56, Rng.from(100 + i));
    const a = augmentClip(frames, params, cfg);
    const b = await augmentClipAsync(frames, params, cfg);
    const d = tidy(() => a.sub(b).abs().amax().item());
    assert.ok(d < 1e-4, `draw ${i}: max abs difference ${d} (${JSON.stringify(params[0])})`);
    a.dispose();
    b.dispose();
  }
  // Every other frame as a strided view (a clip cut from a cached video) and a view across the frame's
  // width (not contiguous within a frame, so copied first): the same result as from contiguous copies.
  for (const view of [frames.slice(0, 1, 6, 2), frames.narrow(2, 4, 40)]) {
    const [T, H, W] = view.shape;
    const params = sampleClipParams({ ...v1, jitterProb: 1 }, T, H, W, Rng.from(7));
    const dense = view.contiguous();
    const [a, b] = [await augmentClipAsync(view, params, v1), await augmentClipAsync(dense, params, v1)];
    assert.equal(tidy(() => a.sub(b).abs().amax().item()), 0, `view of shape [${view.shape}]`);
    [view, dense, a, b].forEach((t) => t.dispose());
  }
  const outside = { ...sampleClipParams(v1, 1, 40, 56, Rng.from(1))[0], crop: { top: 30, left: 0, height: 20, width: 10 } };
  await assert.rejects(augmentClipAsync(frames, Array(6).fill(outside), v1), /crop top \+ height = 50 exceeds the frame height 40/);
  const jittered = sampleClipParams({ ...v1, jitterProb: 1 }, 1, 40, 56, Rng.from(2))[0];
  const badOrder = { ...jittered, jitter: { ...jittered.jitter!, order: [0, 7] } };
  await assert.rejects(augmentClipAsync(frames, Array(6).fill(badOrder), v1), /jitter\.order\[1\] must be an integer in \[0, 3\], got 7/);
  frames.dispose();
});

test('the native augmentation equals the TypeScript one at training size, with per-channel statistics and partial jitter orders', async () => {
  // 128x171 frames to 112 (the decode and crop sizes of training); ImageNet statistics differ per channel.
  const frames = fromTypedArray(movingPattern(4, 128, 171), [4, 128, 171, 3]);
  const imagenet = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };
  const cfg = { ...cvrlViewConfigs(112)[0], jitterProb: 1 };
  for (let i = 0; i < 6; i++) {
    const p = sampleClipParams(cfg, 4, 128, 171, Rng.from(300 + i))[0];
    // Runs only the listed jitter ops, in their order (here a shrinking suffix of the drawn order).
    const params = Array(4).fill({ ...p, jitter: { ...p.jitter!, order: p.jitter!.order.slice(i % 4) } });
    const a = augmentClip(frames, params, cfg, imagenet);
    const b = await augmentClipAsync(frames, params, cfg, imagenet);
    const [max, mean] = tidy(() => { const d = a.sub(b).abs(); return [d.amax().item(), d.mean().item()]; });
    // Float rounding (ATen computes the resize taps in float) stays far below one grey level (about 0.017 here).
    assert.ok(max < 1e-3 && mean < 2e-5, `draw ${i}: max ${max}, mean ${mean} (${JSON.stringify(params[0])})`);
    a.dispose();
    b.dispose();
  }
  frames.dispose();
});

test('augmentation writes into a given row of a batch, and rejects a destination of the wrong shape, type or layout', async () => {
  const frames = fromTypedArray(movingPattern(4, 40, 52), [4, 40, 52, 3]);
  const cfg = cvrlViewConfigs(32)[0];
  const params = sampleClipParams(cfg, 4, 40, 52, Rng.from(7));
  const alone = await augmentClipAsync(frames, params, cfg);
  const batch = tensor(new Array(3 * 3 * 4 * 32 * 32).fill(-5)).reshape([3, 3, 4, 32, 32]);
  const row = batch.select(0, 1);
  const written = await augmentClipAsync(frames, params, cfg, undefined, row);
  assert.equal(tidy(() => batch.select(0, 1).sub(alone).abs().amax().item()), 0);
  assert.equal(tidy(() => written.sub(alone).abs().amax().item()), 0, 'the returned tensor is the row');
  assert.equal(tidy(() => batch.narrow(0, 0, 1).add(5).abs().amax().item()), 0, 'other rows stay as they were');
  const bad: [Tensor, RegExp][] = [
    [randn([3, 4, 32, 31]), /augmentClip: out must have shape \[3, 4, 32, 32\]/],
    [randn([3, 4, 32, 32]).double(), /augmentClip: out must be a float32 CPU tensor/],
    [randn([3, 32, 4, 32]).transpose(1, 2), /augmentClip: out must be contiguous/],
  ];
  for (const [out, message] of bad) {
    await assert.rejects(async () => augmentClipAsync(frames, params, cfg, undefined, out), message);
    out.dispose();
  }
  [frames, alone, batch, row, written].forEach((t) => t.dispose());
});

test('augmentClipsNow: a batch of clips at once on the compute threads, bit for bit what augmentClipAsync gives; malformed clips are errors naming them', async () => {
  const frames = fromTypedArray(movingPattern(4, 40, 52), [4, 40, 52, 3]);
  // A clip cut from a longer video at a stride (the frame cache's views): frames not adjacent in memory.
  const long = fromTypedArray(movingPattern(8, 40, 52), [8, 40, 52, 3]);
  const strided = long.slice(0, 1, 8, 2);
  const cfgs = cvrlViewConfigs(32);
  const rng = Rng.from(11);
  const batch = tensor(new Array(6 * 3 * 4 * 32 * 32).fill(-5)).reshape([6, 3, 4, 32, 32]);
  const jobs = Array.from({ length: 6 }, (_, i) => {
    const config = cfgs[i % 2];
    return { frames: i % 3 ? frames : strided, params: sampleClipParams(config, 4, 40, 52, rng), config, out: batch.select(0, i) };
  });
  augmentClipsNow(jobs);
  for (const [i, j] of jobs.entries()) {
    const alone = await augmentClipAsync(j.frames, j.params, j.config);
    assert.equal(tidy(() => batch.select(0, i).sub(alone).abs().amax().item()), 0, `clip ${i}`);
    alone.dispose();
  }
  const wrongOut = randn([3, 4, 32, 31]);
  assert.throws(() => augmentClipsNow([jobs[0], { ...jobs[1], out: wrongOut }]), /augmentClips\[1\]: out must have shape \[3, 4, 32, 32\]/);
  const crop = { ...jobs[2].params[0], crop: { top: 30, left: 0, height: 20, width: 20 } };
  assert.throws(() => augmentClipsNow([jobs[0], jobs[1], { ...jobs[2], params: jobs[2].params.map(() => crop) }]), /augmentClips\[2\]: params\[0\]/);
  [frames, long, strided, batch, wrongOut, ...jobs.map((j) => j.out)].forEach((t) => t.dispose());
});
