import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { fromTypedArray } from '../../src/torch/index.js';
import { writeVideo, VideoLoader, type VideoDataset } from '../../src/video/index.js';
import { colourDescriptor, balancedGroups, sceneDescriptors, DESCRIPTOR_SIZE } from '../../src/video/scene-groups.js';
import { Rng } from '../../src/video/rng.js';
import { tempDir } from '../helpers/python.js';

test('colour descriptor: unit-length Hellinger histogram; malformed pixel buffers are refused', () => {
  const red = new Uint8Array(30).map((_, i) => (i % 3 === 0 ? 250 : 5));
  const d = colourDescriptor(red);
  assert.equal(d.length, DESCRIPTOR_SIZE);
  assert.equal(d[3 * 16], 1, 'all pixels in the (high R, low G, low B) bin');
  const half = colourDescriptor(new Uint8Array([250, 5, 5, 5, 5, 250]));
  assert.ok(Math.abs(Math.hypot(...half) - 1) < 1e-6);
  assert.ok(Math.abs(half[3 * 16] - Math.SQRT1_2) < 1e-6 && Math.abs(half[3] - Math.SQRT1_2) < 1e-6);
  assert.throws(() => colourDescriptor(new Uint8Array(4)), /multiple of 3/);
  assert.throws(() => colourDescriptor(new Uint8Array(0)), /non-empty/);
});

test('balanced groups: equal sizes, and well-separated blobs are never split or mixed', () => {
  const rng = Rng.from(7);
  const centres = [0, 1, 2].map(() => Float32Array.from({ length: 16 }, () => rng.uniform(-5, 5)));
  const blob = [...Array(24).keys()].map((i) => i % 3);
  rng.shuffle(blob);
  const x = blob.map((b) => centres[b].map((c) => c + rng.uniform(-0.1, 0.1)));
  const g = balancedGroups(x, 8);
  for (let k = 0; k < 3; k++) {
    const members = blob.filter((_, i) => g[i] === k);
    assert.equal(members.length, 8);
    assert.equal(new Set(members).size, 1, `group ${k} holds one blob`);
  }
  const sizes = (ids: number[]) => [...ids.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<number, number>()).values()].sort((a, b) => b - a);
  assert.deepEqual(sizes(balancedGroups(x.slice(0, 20), 8)), [8, 8, 4]);
  assert.deepEqual(balancedGroups(Array.from({ length: 5 }, () => new Float32Array(4)), 2).sort(), [0, 0, 1, 1, 2], 'identical rows still split evenly');
  assert.deepEqual(balancedGroups([], 4), []);
  assert.throws(() => balancedGroups(x, 0), /size must be a positive integer/);
});

test('scene descriptors of real videos group them by look; an unreadable file is reported, not fatal', async () => {
  const dir = tempDir('cvrl-scenes-');
  const items: VideoDataset['items'] = [];
  for (let v = 0; v < 6; v++) {
    const [T, H, W] = [8, 32, 32];
    const px = new Uint8Array(T * H * W * 3);
    const look = v % 2 === 0 ? [200, 40, 40] : [40, 60, 200];
    for (let i = 0; i < px.length; i += 3) {
      const moving = Math.abs(((i / 3) % W) - (v * 3 + (i / 3 / (H * W) | 0) * 2)) < 4;
      px.set(moving ? [230, 230, 230] : look, i);
    }
    const t = fromTypedArray(px, [T, H, W, 3]);
    const path = join(dir, `v${v}.mp4`);
    await writeVideo(path, t);
    t.dispose();
    items.push({ path, label: -1 });
  }
  writeFileSync(join(dir, 'bad.mp4'), 'not a video');
  items.push({ path: join(dir, 'bad.mp4'), label: -1 });
  const bad: string[] = [];
  const progress: number[] = [];
  const desc = await sceneDescriptors({ root: dir, items, classes: [] } as unknown as VideoDataset, { onBadVideo: (p) => bad.push(p), onProgress: (d) => progress.push(d) });
  assert.deepEqual(bad, [join(dir, 'bad.mp4')]);
  assert.equal(progress.length, 7);
  assert.ok(desc[6].every((e) => e === 0));
  const g = balancedGroups(desc.slice(0, 6), 3);
  assert.equal(new Set([g[0], g[2], g[4]]).size, 1);
  assert.equal(new Set([g[1], g[3], g[5]]).size, 1);
  assert.notEqual(g[0], g[1]);
});

test('loader with groups: every batch spans batch / size groups, every video once, same order for the same seed', async () => {
  const items = Array.from({ length: 16 }, (_, i) => ({ path: `/nowhere/v${i}.mp4`, label: -1 }));
  const dataset = { root: '/nowhere', items, classes: [] } as unknown as VideoDataset;
  const groups = items.map((_, i) => (i * 5) % 8); // 8 groups of 2, members far apart in the list
  const order = (seed: number, epoch: number) => new VideoLoader({ dataset, mode: 'pretrain', batchSize: 4, frames: 2, stride: 1, size: 8, seed, epoch, groups }).order;
  const a = order(3, 0);
  assert.deepEqual([...a].sort((x, y) => x - y), items.map((_, i) => i));
  for (let b = 0; b < 4; b++) assert.equal(new Set(a.slice(4 * b, 4 * b + 4).map((i) => groups[i])).size, 2, `batch ${b}`);
  assert.deepEqual(order(3, 0), a);
  assert.notDeepEqual(order(3, 1), a);
  assert.throws(() => new VideoLoader({ dataset, mode: 'pretrain', batchSize: 4, frames: 2, stride: 1, size: 8, groups: [0, 1] }), /groups has 2 entries for 16 videos/);
});
