import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeDataset } from '../../src/video/index.js';
import { groupLook, renderScene, undirectedLook } from '../../src/video/synth-scene.js';
import { VERTICAL_CLASSES } from '../../src/video/synth-motions-vertical.js';
import { Rng } from '../../src/video/rng.js';
import { tempDir } from '../helpers/python.js';
import { objectTrack } from '../helpers/scene.js';

const T = 41, H = 60, W = 80;
const look = undirectedLook({ ...groupLook(0, 5), shape: 'square' });
const clean = { width: W, height: H, frames: T, distractors: 0, shake: 0, noise: 0 };
const track = (cls: string, seed: number) => objectTrack(renderScene(cls, look, clean, Rng.from(seed)), T, H, W, look.fg);

test('vertical motions: Rise goes up and Fall down; Approach grows and Recede is Approach with time reversed', () => {
  for (const seed of [1, 2, 3]) {
    const rise = track('Rise', seed), fall = track('Fall', seed);
    assert.ok(rise[0].y - rise[T - 1].y > 20, `Rise climbs ${rise[0].y - rise[T - 1].y} px`);
    assert.ok(fall[T - 1].y - fall[0].y > 20, `Fall drops ${fall[T - 1].y - fall[0].y} px`);
    assert.ok(Math.abs(rise[T - 1].x - rise[0].x) < Math.abs(rise[T - 1].y - rise[0].y) / 2, 'mostly vertical');
    const app = track('Approach', seed), rec = track('Recede', seed);
    assert.ok(app[T - 1].area > 4 * app[0].area, `Approach grows ${app[0].area} -> ${app[T - 1].area}`);
    for (let f = 0; f < T; f++) assert.equal(rec[f].area, app[T - 1 - f].area, `frame ${f}`);
    assert.ok(Math.hypot(app[T - 1].x - app[0].x, app[T - 1].y - app[0].y) < 1.5, 'stays in place');
  }
});

test('vertical motions: Bounce returns to its floor, Spiral widens, Wobble rocks in place, StopGo halts on the way', () => {
  for (const seed of [1, 2, 3]) {
    const bounce = track('Bounce', seed).map((p) => p.y);
    const floor = Math.max(...bounce);
    assert.ok(floor - Math.min(...bounce) > 8, 'hops');
    assert.ok(bounce.filter((y) => y > floor - 1.5).length >= 2, 'lands more than once');
    const spiral = track('Spiral', seed);
    const first = spiral.slice(0, 10), last = spiral.slice(-10);
    const spread = (ps: typeof spiral) => Math.max(...ps.map((p) => Math.hypot(p.x - ps[0].x, p.y - ps[0].y)));
    assert.ok(spread(last) > spread(first), `radius grows: ${spread(first)} -> ${spread(last)}`);
    const wobble = track('Wobble', seed);
    assert.ok(wobble.every((p) => Math.hypot(p.x - wobble[0].x, p.y - wobble[0].y) < 1.5), 'rotates about its centre');
    const rgb = renderScene('Wobble', look, clean, Rng.from(seed));
    const frame = (f: number) => rgb.subarray(f * H * W * 3, (f + 1) * H * W * 3);
    assert.ok(Array.from({ length: T - 1 }, (_, f) => Buffer.compare(frame(f), frame(f + 1)) !== 0).filter(Boolean).length > T / 2, 'the pixels change');
    const go = track('StopGo', seed);
    const speeds = go.slice(1).map((p, i) => Math.hypot(p.x - go[i].x, p.y - go[i].y));
    assert.ok(Math.max(...speeds) > 1.2 && speeds.slice(5, -5).some((s) => s < 0.25 * Math.max(...speeds)), 'bursts and halts');
  }
});

test('vertical set: a dataset of its classes; the mirror and undirected sets render as before', async () => {
  const out = tempDir('cvrl-vertical-');
  const r = await synthesizeDataset({ out, format: 'ucf101', scene: 'hard', motions: 'vertical', classes: 3, videosPerClass: 5, frames: 4, width: 32, height: 24 });
  assert.deepEqual(r.classes, VERTICAL_CLASSES.slice(0, 3));
  assert.equal(readFileSync(join(out, 'annotations', 'classInd.txt'), 'utf8').trim().split('\n').length, 3);
  const pin = (classes: string[], shown: typeof look) => {
    const h = createHash('sha256');
    for (const c of classes) h.update(renderScene(c, shown, { width: 40, height: 30, frames: 6, distractors: 2, shake: 2, noise: 6 }, Rng.from(1, 2)));
    return h.digest('hex').slice(0, 16);
  };
  // Adding this set must not move the other benchmarks' pixels (the study's data cache keys on settings, not code).
  assert.equal(pin(['Translate', 'Rotate', 'Orbit', 'Blink', 'Vibrate'], undirectedLook(groupLook(0, 3))), '45375857d3ecaf29');
  assert.equal(pin(['MoveLeft', 'RotateCCW', 'OrbitCW', 'Pulse', 'Oscillate'], groupLook(0, 3)), '51384105ea5ada72');
});
