import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeDataset, openDataset } from '../../src/video/index.js';
import { DIRECTIONAL_CLASSES, groupLook, renderScene } from '../../src/video/synth-scene.js';
import { Rng } from '../../src/video/rng.js';
import { probeVideo } from '../../src/video/io.js';
import { tempDir } from '../helpers/python.js';

/** Mean x and y of the pixels that have the object's colour, per frame. */
function centroids(rgb: Uint8Array, T: number, H: number, W: number, fg: number[]): [number, number][] {
  return Array.from({ length: T }, (_, f) => {
    let sx = 0, sy = 0, n = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = ((f * H + y) * W + x) * 3;
        if (rgb[i] === fg[0] && rgb[i + 1] === fg[1] && rgb[i + 2] === fg[2]) { sx += x; sy += y; n++; }
      }
    }
    return [sx / n, sy / n] as [number, number];
  });
}

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
