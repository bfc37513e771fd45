import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zeros, randn, tidy, cat, F } from '../../src/torch/index.js';
import { drawPseudoMotion, pseudoMotionClips, pseudoMotionAffine, pseudoMotionGrid, PSEUDO_MOTIONS, type PseudoMotion, type PseudoMotionDraw } from '../../src/video/pseudo-motion.js';
import { Rng } from '../../src/video/rng.js';

const T = 6, S = 32;

/** One clip whose frame `frame` has a bright dot at (x, y), the other frames noise. */
function dotClip(x: number, y: number, frame: number) {
  const clip = randn([1, 3, T, S, S]).mul(0.01);
  clip.select(0, 0).select(1, frame).narrow(1, y - 1, 3).narrow(2, x - 1, 3).fill_(1);
  return clip;
}

/** Centroid (x, y) in pixels and the in-plane angle of the bright pixels of frame t. */
function centroid(c: Float32Array, t: number): [number, number] {
  let sx = 0, sy = 0, n = 0;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const v = c[(t * S + y) * S + x]; // channel 0
    if (v > 0.3) { sx += v * x; sy += v * y; n += v; }
  }
  return [sx / n, sy / n];
}

function track(m: PseudoMotion, dot: [number, number], box?: PseudoMotionDraw['box']): [number, number][] {
  const clip = dotClip(dot[0], dot[1], 2);
  const { clips, labels } = pseudoMotionClips(clip, [{ motion: m, amount: m.startsWith('rotate') ? 0.8 : 0.3, frame: 2, box }]);
  assert.deepEqual([...clips.shape], [1, 3, T, S, S]);
  assert.equal(labels[0], PSEUDO_MOTIONS.indexOf(m));
  const data = clips.select(0, 0).select(0, 0).contiguous().toTypedArray() as Float32Array;
  return Array.from({ length: T }, (_, t) => centroid(data, t));
}

test('pseudo-motion: pans and tilts move the still frame\'s content the named way, a still clip stays put', () => {
  const dx = (p: [number, number][]) => p[T - 1][0] - p[0][0], dy = (p: [number, number][]) => p[T - 1][1] - p[0][1];
  const mid: [number, number] = [16, 16];
  assert.ok(dx(track('panRight', mid)) > 3 && Math.abs(dy(track('panRight', mid))) < 0.5);
  assert.ok(dx(track('panLeft', mid)) < -3);
  assert.ok(dy(track('tiltDown', mid)) > 3 && Math.abs(dx(track('tiltDown', mid))) < 0.5);
  assert.ok(dy(track('tiltUp', mid)) < -3);
  const still = track('still', mid);
  assert.ok(still.every(([x, y]) => Math.abs(x - still[0][0]) < 1e-3 && Math.abs(y - still[0][1]) < 1e-3));
});

test('pseudo-motion: rotations turn clockwise or counter-clockwise on screen, zooms move content away from or towards the centre', () => {
  // A dot right of centre: clockwise on screen (y down) moves it down, counter-clockwise up.
  const right: [number, number] = [24, 16];
  const cw = track('rotateCW', right), ccw = track('rotateCCW', right);
  assert.ok(cw[T - 1][1] - cw[0][1] > 2, `cw ${JSON.stringify(cw)}`);
  assert.ok(ccw[T - 1][1] - ccw[0][1] < -2);
  const zin = track('zoomIn', right), zout = track('zoomOut', right);
  assert.ok(zin[T - 1][0] - zin[0][0] > 1.5, `zoom in ${JSON.stringify(zin)}`);
  assert.ok(zout[T - 1][0] - zout[0][0] < -1.5);
});

test('pseudo-motion: with a box, only the inside moves; outside, every frame is the same still', () => {
  const box: PseudoMotionDraw['box'] = [0, 0, 0.5, 1];
  const inside = track('panRight', [8, 16], box);
  assert.ok(inside[T - 1][0] - inside[0][0] > 2);
  const clip = randn([1, 3, T, S, S]);
  const { clips } = pseudoMotionClips(clip, [{ motion: 'tiltUp', amount: 0.3, frame: 1, box }]);
  const right = clips.narrow(4, S / 2 + 1, S / 2 - 1);
  const first = right.narrow(2, 0, 1);
  assert.ok(right.sub(first).abs().amax().item() < 1e-6, 'outside the box nothing moves');
  const left = clips.narrow(4, 0, S / 2 - 1);
  assert.ok(left.sub(left.narrow(2, 0, 1)).abs().amax().item() > 0.1, 'inside it does');
});

test('pseudo-motion: draws are seeded, cover every class, and bad input is refused', () => {
  const a = drawPseudoMotion(400, T, Rng.from(5)), b = drawPseudoMotion(400, T, Rng.from(5));
  assert.deepEqual(a, b);
  assert.deepEqual(new Set(a.map((d) => d.motion)), new Set(PSEUDO_MOTIONS));
  assert.ok(a.every((d) => d.frame >= 0 && d.frame < T && (!d.box || (d.box[0] >= 0 && d.box[2] <= 1 && d.box[0] < d.box[2]))));
  const boxed = a.filter((d) => d.box).length;
  assert.ok(boxed > 120 && boxed < 280, `${boxed} of 400 boxed at probability 0.5`);
  assert.ok(drawPseudoMotion(50, T, Rng.from(5), 1).every((d) => d.box) && drawPseudoMotion(50, T, Rng.from(5), 0).every((d) => !d.box));
  const x = zeros([2, 3, T, 8, 8]);
  assert.throws(() => pseudoMotionClips(x, a.slice(0, 1)), /need 2 pseudo-motion draws/);
  assert.throws(() => pseudoMotionClips(x, [{ ...a[0], frame: T }, a[1]]), /frame 6 is not in 0..5/);
  assert.throws(() => pseudoMotionClips(zeros([3, T, 8, 8]), []), /expected clips/);
});

/** The grid as the per-pixel JS loop built it before it moved to native code: the reference. */
function gridByLoop(affines: Float64Array, boxes: Float64Array, still: number[], t: number, h: number, w: number): Float32Array {
  const grid = new Float32Array((affines.length / 6) * h * w * 2);
  for (let k = 0; k < affines.length / 6; k++) {
    const [x0, y0, x1, y1] = boxes.subarray(Math.floor(k / t) * 4, Math.floor(k / t) * 4 + 4);
    const moving = affines.subarray(k * 6, k * 6 + 6);
    for (let yy = 0; yy < h; yy++) {
      const py = (yy + 0.5) / h, y = py * 2 - 1, rowInBox = py >= y0 && py <= y1;
      for (let xx = 0; xx < w; xx++) {
        const px = (xx + 0.5) / w, xn = px * 2 - 1;
        const m = rowInBox && px >= x0 && px <= x1 ? moving : still;
        const o = ((k * h + yy) * w + xx) * 2;
        grid[o] = m[0] * xn + m[1] * y + m[2];
        grid[o + 1] = m[3] * xn + m[4] * y + m[5];
      }
    }
  }
  return grid;
}

test('pseudo-motion: the native grid equals the per-pixel reference bit for bit, boxes and odd sizes included', () => {
  const rng = Rng.from(5);
  for (const [b, t, h, w] of [[3, 4, 9, 13], [2, 8, 48, 48], [1, 2, 1, 1]]) {
    const draws = drawPseudoMotion(b, t, rng);
    const affines = new Float64Array(b * t * 6), boxes = new Float64Array(b * 4);
    draws.forEach((d, i) => {
      boxes.set(d.box ?? [0, 0, 1, 1], i * 4);
      for (let f = 0; f < t; f++) affines.set(pseudoMotionAffine(d.motion, d.amount, f, t), (i * t + f) * 6);
    });
    const grid = pseudoMotionGrid(affines, boxes, h, w);
    assert.deepEqual([...grid.shape], [b * t, h, w, 2]);
    assert.deepEqual(grid.toTypedArray(), gridByLoop(affines, boxes, pseudoMotionAffine('still', 0, 0, 1), t, h, w), `${b}x${t}x${h}x${w}`);
    grid.dispose();
  }
  assert.throws(() => pseudoMotionGrid(new Float64Array(5 * 6), new Float64Array(2 * 4), 4, 4), /5 affines do not split over 2 clips/);
});

test('pseudo-motion: a batch of clips equals sampling each clip\'s own still frame frame by frame', () => {
  const x = randn([3, 3, T, S, S]);
  const draws = drawPseudoMotion(3, T, Rng.from(11), 1);
  const { clips } = pseudoMotionClips(x, draws);
  const worst = tidy(() => Math.max(...draws.map((d, i) => {
    const affines = Float64Array.from(Array.from({ length: T }, (_, f) => pseudoMotionAffine(d.motion, d.amount, f, T)).flat());
    const grid = pseudoMotionGrid(affines, Float64Array.from(d.box!), S, S);
    const still = x.select(0, i).select(1, d.frame).unsqueeze(0);
    const frames = cat(Array.from({ length: T }, (_, f) => F.gridSample(still, grid.narrow(0, f, 1), { paddingMode: 'reflection' })), 0);
    return frames.transpose(0, 1).sub(clips.select(0, i)).abs().amax().item();
  })));
  assert.ok(worst < 1e-6, `largest difference ${worst}`);
  [x, clips].forEach((t) => t.dispose());
});
