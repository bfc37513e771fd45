import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { synthesizeDataset, openDataset } from '../../src/video/index.js';
import { DIRECTIONAL_CLASSES, UNDIRECTED_CLASSES, groupLook, renderScene, undirectedLook } from '../../src/video/synth-scene.js';
import { Rng } from '../../src/video/rng.js';
import { probeVideo } from '../../src/video/io.js';
import { tempDir } from '../helpers/python.js';
import { centroids } from '../helpers/scene.js';

test('hard scenes: MoveLeft and MoveRight go opposite ways; a clean scene shows only the look; noise and shake change pixels', () => {
  const look = groupLook(0, 3);
  const o = { width: 80, height: 60, frames: 10, distractors: 0, shake: 0, noise: 0 };
  const left = centroids(renderScene('MoveLeft', look, o, Rng.from(1)), 10, 60, 80, look.fg);
  const right = centroids(renderScene('MoveRight', look, o, Rng.from(1)), 10, 60, 80, look.fg);
  assert.ok(left[9][0] < left[0][0] - 15, `left: ${left[0][0]} -> ${left[9][0]}`);
  assert.ok(right[9][0] > right[0][0] + 15, `right: ${right[0][0]} -> ${right[9][0]}`);
  const clean = renderScene('Pulse', look, o, Rng.from(2));
  const colours = new Set<string>();
  for (let i = 0; i < clean.length; i += 3) colours.add(`${clean[i]},${clean[i + 1]},${clean[i + 2]}`);
  assert.ok(colours.size <= 3, `a clean scene has object, background and its texture colours only, got ${colours.size}`);
  const noisy = renderScene('Pulse', look, { ...o, noise: 8, shake: 3, distractors: 2 }, Rng.from(2));
  assert.notDeepEqual(noisy, clean);
  assert.deepEqual(groupLook(0, 3), look, 'a look is a pure function of (seed, group)');
  assert.notDeepEqual(groupLook(0, 4), look);
  assert.throws(() => renderScene('Jump', look, o, Rng.from(1)), /unknown motion class Jump/);
});

test('hard dataset: 25 groups, test groups held out per UCF-101 split rule, variable length, width x height', async () => {
  const out = tempDir('cvrl-hard-');
  const r = await synthesizeDataset({ out, format: 'ucf101', scene: 'hard', classes: 2, videosPerClass: 25, frames: 8, width: 48, height: 32 });
  assert.deepEqual(r.classes, DIRECTIONAL_CLASSES.slice(0, 2));
  const group = (line: string) => Number(/_g(\d\d)_/.exec(line)![1]);
  for (const s of [1, 2, 3]) {
    const test = readFileSync(join(out, 'annotations', `testlist0${s}.txt`), 'utf8').trim().split('\n');
    const train = readFileSync(join(out, 'annotations', `trainlist0${s}.txt`), 'utf8').trim().split('\n');
    assert.equal(test.length + train.length, 50);
    assert.deepEqual([...new Set(test.map(group))].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7].map((g) => g + 7 * (s - 1)));
    assert.ok(train.every((l) => !test.map(group).includes(group(l))));
  }
  const ds = openDataset({ data: out, format: 'ucf101', annotations: join(out, 'annotations'), split: 1 });
  const lengths = new Set<number>();
  for (const item of ds.items.slice(0, 10)) {
    const info = await probeVideo(item.path);
    assert.equal(info.width, 48);
    assert.equal(info.height, 32);
    assert.ok(info.frames >= 8 && info.frames <= 12, `${info.frames} frames`);
    lengths.add(info.frames);
  }
  assert.ok(lengths.size > 1, 'lengths vary');
  await assert.rejects(synthesizeDataset({ out, format: 'ucf101', scene: 'hard', width: 47 }), /width must be an even integer/);
  await assert.rejects(synthesizeDataset({ out, format: 'ucf101', scene: 'hard', classes: 9 }), /classes must be 2..8/);
});

test('undirected motions in scenes: Translate moves, Still stays, Blink vanishes and returns, Vibrate jitters in place, Orbit turns both ways; the mirror set renders as before', async () => {
  const look = undirectedLook({ ...groupLook(0, 5), shape: 'disc' });
  assert.equal(look.shape, 'cross');
  const o = { width: 80, height: 60, frames: 41, distractors: 0, shake: 0, noise: 0 };
  const track = (cls: string, seed: number) => centroids(renderScene(cls, look, o, Rng.from(seed)), 41, 60, 80, look.fg);
  const dist = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  for (const seed of [1, 2, 3]) {
    const tr = track('Translate', seed);
    assert.ok(dist(tr[0], tr[40]) > 20, `Translate moves ${dist(tr[0], tr[40])} px`);
    const still = track('Still', seed);
    assert.ok(still.every((c) => dist(c, still[0]) < 1e-9));
    const blink = track('Blink', seed);
    const hidden = blink.map((c) => Number.isNaN(c[0]));
    assert.ok(hidden.filter(Boolean).length >= 8 && hidden.filter((h) => !h).length >= 20, `hidden in ${hidden.filter(Boolean).length} of 41 frames`);
    assert.ok(hidden.slice(1).filter((h, i) => h !== hidden[i]).length >= 4, 'blinks at least twice');
    const vib = track('Vibrate', seed);
    const steps = vib.slice(1).map((c, i) => dist(c, vib[i]));
    assert.ok(Math.max(...vib.map((c) => dist(c, vib[0]))) < 8 && steps.filter((d) => d > 0.3).length > 20, 'jitters in place');
  }
  // The signed area swept around the centre tells the turning direction; seeds give both.
  const turns = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => {
    const c = track('Orbit', seed);
    const m = c.reduce((a, p) => [a[0] + p[0] / 41, a[1] + p[1] / 41], [0, 0]);
    const area = c.slice(1).reduce((a, p, i) => a + (c[i][0] - m[0]) * (p[1] - m[1]) - (c[i][1] - m[1]) * (p[0] - m[0]), 0);
    return Math.sign(area);
  }));
  assert.deepEqual([...turns].sort(), [-1, 1]);
  // The hard benchmark's pixels are pinned, so study numbers stay comparable across versions.
  const h = createHash('sha256');
  for (const c of ['MoveLeft', 'RotateCCW', 'OrbitCW', 'Pulse', 'Oscillate']) h.update(renderScene(c, groupLook(0, 3), { width: 40, height: 30, frames: 6, distractors: 2, shake: 2, noise: 6 }, Rng.from(1, 2)));
  assert.equal(h.digest('hex').slice(0, 16), '51384105ea5ada72');
  const out = tempDir('cvrl-undirected-');
  const r = await synthesizeDataset({ out, format: 'ucf101', scene: 'hard', motions: 'undirected', classes: 3, videosPerClass: 5, frames: 4, width: 32, height: 24 });
  assert.deepEqual(r.classes, UNDIRECTED_CLASSES.slice(0, 3));
  // Fewer videos per class than 25 groups: one group per video index, split s tests on group s.
  assert.deepEqual(readFileSync(join(out, 'annotations', 'testlist02.txt'), 'utf8').trim().split('\n').map((l) => /_g(\d\d)_/.exec(l)![1]), ['02', '02', '02']);
  await assert.rejects(synthesizeDataset({ out, format: 'ucf101', motions: 'undirected' }), /motions must be mirror, undirected, vertical with the hard scene, got undirected with simple/);
  await assert.rejects(synthesizeDataset({ out, format: 'ucf101', scene: 'hard', motions: 'toString' as 'mirror' }), /motions must be/);
});
