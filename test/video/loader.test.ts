import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { liveTensorCount, tidy, cat } from '../../src/torch/index.js';
import { openDataset, synthesizeDataset, VideoLoader, VideoCache, probeVideo, decodeClips, evalCrops, uniformClipStarts, type LoaderOptions, type VideoDataset, type Batch } from '../../src/video/index.js';
import { native } from '../../src/native/addon.js';
import { augmentOnFor } from '../../src/video/loader-options.js';
import { tempDir } from '../helpers/python.js';

const root = tempDir('cvrl-loader-');
let ds: VideoDataset;

async function collect(o: Partial<LoaderOptions>, cache?: VideoCache): Promise<{ batches: { sums: number[]; labels: number[]; indices: number[]; shapes: number[][]; at: number[] }[]; loader: VideoLoader }> {
  const loader = new VideoLoader({ dataset: ds, mode: 'pretrain', batchSize: 4, frames: 4, stride: 2, size: 24, seed: 1, ...o }, cache);
  const batches = [];
  for await (const b of loader as AsyncIterable<Batch>) {
    batches.push({ sums: tidy(() => b.views.map((v) => Math.round(v.sum().item() * 1e3) / 1e3)), labels: b.labels, indices: b.indices, shapes: b.views.map((v) => v.shape), at: [b.epoch, b.batchInEpoch] });
    b.views.forEach((v) => v.dispose());
  }
  return { batches, loader };
}

test('loader: shapes, determinism across parallelism, epochs differ, no leaked tensors', async () => {
  const r = await synthesizeDataset({ out: root, format: 'ucf101', classes: 3, videosPerClass: 6, frames: 20, size: 32 });
  ds = openDataset({ data: root, format: 'ucf101', annotations: r.annotations });
  const base = liveTensorCount();
  const a = await collect({ parallelism: 1, prefetch: 0 });
  const b = await collect({ parallelism: 4, prefetch: 3 });
  assert.equal(a.batches.length, Math.floor(ds.items.length / 4));
  assert.deepEqual(a.batches[0].shapes, [[4, 3, 4, 24, 24], [4, 3, 4, 24, 24]]);
  assert.deepEqual(a.batches, b.batches, 'same seed and epoch give identical batches whatever the parallelism');
  const c = await collect({ epoch: 1 });
  assert.notDeepEqual(c.batches.map((x) => x.indices), a.batches.map((x) => x.indices));
  assert.equal(liveTensorCount(), base);
  const resumed = await collect({ startBatch: 2 });
  assert.deepEqual(resumed.batches, a.batches.slice(2), 'resuming mid-epoch continues the same order');
});

test('loader: one loader over several epochs yields what one loader per epoch does', async () => {
  const base = liveTensorCount();
  // Without dropping the last batch, which is a partial one.
  const n = ds.items.length, bs = n % 5 ? 5 : 7, batches = Math.ceil(n / bs);
  const o = { mode: 'train' as const, batchSize: bs, dropLast: false, prefetch: 2, parallelism: 3 };
  const perEpoch = await Promise.all([2, 3, 4].map(async (epoch) => (await collect({ ...o, epoch })).batches));
  assert.deepEqual(perEpoch[0].map((b) => b.at), Array.from({ length: batches }, (_, i) => [2, i]));
  assert.equal(perEpoch[0][batches - 1].indices.length, n % bs);
  const spanning = await collect({ ...o, epoch: 2, epochs: 3 });
  assert.deepEqual(spanning.batches, perEpoch.flat(), 'the same batches, epochs and positions in order');
  const resumed = await collect({ ...o, epoch: 2, epochs: 3, startBatch: batches + 1 });
  assert.deepEqual(resumed.batches, perEpoch.flat().slice(batches + 1), 'a start past the first epoch continues in the next');
  // Endless: the consumer stops it; nothing prepared ahead is left behind.
  const endless = new VideoLoader({ dataset: ds, frames: 4, stride: 2, size: 24, seed: 1, ...o, epoch: 2, epochs: Infinity });
  let seen = 0;
  for await (const b of endless) {
    b.views.forEach((v) => v.dispose());
    if (++seen === 2 * batches + 1) break;
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(liveTensorCount(), base);
  assert.throws(() => new VideoLoader({ dataset: ds, mode: 'train', batchSize: 2, frames: 4, stride: 1, size: 24, epochs: 0 }), /epochs must be a positive integer or Infinity, got 0/);
});

test("loader: augmentation on the step's threads ('step') gives the batches the worker threads give, and holds nothing after", async (t) => {
  const base = liveTensorCount();
  const batchCalls = t.mock.method(native, 'augmentClips');
  for (const o of [{}, { mode: 'train' as const, dropLast: false, batchSize: 5 }, { prefetch: 0, parallelism: 1 }]) {
    const calls = batchCalls.mock.callCount();
    const step = await collect({ ...o, augmentOn: 'step' });
    assert.equal(batchCalls.mock.callCount() - calls, step.batches.length, 'one native call per batch');
    assert.deepEqual(step.batches, (await collect(o)).batches, JSON.stringify(o));
  }
  const early = new VideoLoader({ dataset: ds, mode: 'pretrain', batchSize: 2, frames: 4, stride: 2, size: 24, prefetch: 3, augmentOn: 'step' });
  for await (const b of early) {
    b.views.forEach((v) => v.dispose());
    break;
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(liveTensorCount(), base);
  // Clips viewed in the frame cache's videos (which it keeps).
  const cache = new VideoCache(64 * 2 ** 20);
  for (const epoch of [0, 1]) assert.deepEqual((await collect({ epoch, augmentOn: 'step' }, cache)).batches, (await collect({ epoch })).batches);
  assert.throws(() => new VideoLoader({ dataset: ds, mode: 'train', batchSize: 2, frames: 4, stride: 1, size: 24, augmentOn: 'gpu' as 'step' }), /augmentOn must be 'workers' or 'step', got gpu/);
});

test("augmentOnFor: auto augments on the step's threads only where CPU compute threads take every core", () => {
  assert.equal(augmentOnFor('auto', 'cpu', 2, 2), 'step');
  assert.equal(augmentOnFor('auto', 'cpu', 4, 2), 'step');
  assert.equal(augmentOnFor('auto', 'cpu', 1, 2), 'workers', 'a spare core runs the workers without preempting the step');
  assert.equal(augmentOnFor('auto', 'cuda:0', 64, 2), 'workers', 'a GPU step leaves the cores to the workers');
  assert.equal(augmentOnFor('workers', 'cpu', 2, 2), 'workers');
  assert.equal(augmentOnFor('step', 'cuda', 1, 8), 'step');
});

test('loader: rho clips per video give rho distinct views, deterministically', async () => {
  const three = await collect({ parallelism: 1, clipsPerVideo: 3 });
  assert.deepEqual(three.batches[0].shapes, [[4, 3, 4, 24, 24], [4, 3, 4, 24, 24], [4, 3, 4, 24, 24]]);
  assert.ok(three.batches.every((b) => new Set(b.sums).size === 3));
  assert.deepEqual((await collect({ parallelism: 3, clipsPerVideo: 3 })).batches, three.batches);
  assert.throws(() => new VideoLoader({ dataset: ds, mode: 'pretrain', batchSize: 4, frames: 4, stride: 2, size: 24, clipsPerVideo: 1 }), /clipsPerVideo must be an integer >= 2/);
});

test('loader: sharding by rank covers the data once, every rank gets as many batches', async () => {
  const seen: number[] = [];
  const lengths: number[] = [];
  for (const rank of [0, 1, 2]) {
    const { batches, loader } = await collect({ rank, worldSize: 3, batchSize: 2, dropLast: false, mode: 'train' });
    lengths.push(loader.length);
    batches.forEach((x) => seen.push(...x.indices));
  }
  assert.equal(new Set(lengths).size, 1);
  assert.deepEqual([...new Set(seen)].sort((x, y) => x - y), ds.items.map((_, i) => i));
  assert.throws(() => new VideoLoader({ dataset: ds, mode: 'train', batchSize: 2, frames: 4, stride: 1, size: 24, rank: 3, worldSize: 3 }), /rank must be in \[0, 3\)/);
});

test('loader: eval mode yields every view of every video in order', async () => {
  const { batches } = await collect({ mode: 'eval', temporalViews: 2, spatialViews: 3, batchSize: 5 });
  assert.deepEqual(batches.flatMap((x) => x.indices), ds.items.map((_, i) => i));
  assert.deepEqual(batches[0].shapes, [[5 * 6, 3, 4, 24, 24]]);
});

test('loader: eval views (cropped on worker threads) equal evalCrops of the decoded clips, bit for bit', async () => {
  const loader = new VideoLoader({ dataset: ds, mode: 'eval', batchSize: 3, frames: 4, stride: 2, size: 24, temporalViews: 2, spatialViews: 3 });
  for await (const b of loader as AsyncIterable<Batch>) {
    for (const [k, index] of b.indices.entries()) {
      const path = ds.items[index].path;
      const starts = uniformClipStarts((await probeVideo(path)).frames, { frames: 4, stride: 2 }, 2);
      const { frames } = await decodeClips(path, { starts, frames: 4, stride: 2, size: { shortSide: 27 } });
      const same = tidy(() => {
        const want = cat(starts.map((_, v) => evalCrops(frames.select(0, v), 24, 3)), 0);
        return want.sub(b.views[0].narrow(0, k * 6, 6)).abs().amax().item() === 0;
      });
      frames.dispose();
      assert.ok(same, `video ${index}`);
    }
    b.views.forEach((v) => v.dispose());
    break;
  }
  await assert.rejects(collect({ mode: 'eval', size: 24, decodeShortSide: 20 }), /evalCrops: frames 20x\d+ are smaller than the crop 24/);
});

test('loader: missing, zero-byte, truncated and non-video files are skipped, logged once and counted', async () => {
  const good = ds.items[0].path;
  const bad = ['missing.avi', 'zero.avi', 'trunc.avi', 'text.avi'].map((n) => join(root, n));
  writeFileSync(bad[1], '');
  const bytes = readFileSync(good);
  writeFileSync(bad[2], bytes.subarray(0, 200));
  writeFileSync(bad[3], 'not a video at all');
  copyFileSync(good, join(root, 'copy.avi'));
  const mixed: VideoDataset = { ...ds, items: [...ds.items, ...bad.map((path) => ({ path, label: 0 }))] };
  const logged: string[] = [];
  const cache = new VideoCache();
  const run = async (epoch: number) => {
    const loader = new VideoLoader({ dataset: mixed, mode: 'pretrain', batchSize: 4, frames: 4, stride: 2, size: 24, epoch, onBadVideo: (p) => logged.push(p) }, cache);
    let n = 0;
    for await (const b of loader) {
      assert.equal(b.views[0].size(0), 4, 'batches stay full');
      assert.ok(b.indices.every((i) => i < ds.items.length), 'no bad video reaches a batch');
      n++;
      b.views.forEach((v) => v.dispose());
    }
    return { n, loader };
  };
  const first = await run(0);
  assert.equal(first.n, Math.floor(mixed.items.length / 4));
  assert.equal(first.loader.stats.badVideos, 4);
  await run(1);
  assert.deepEqual([...logged].sort(), [...bad].sort(), 'each bad file is reported once across epochs');
  const allBad: VideoDataset = { ...ds, items: bad.map((path) => ({ path, label: 0 })) };
  const doomed = new VideoLoader({ dataset: allBad, mode: 'train', batchSize: 2, frames: 4, stride: 1, size: 24, onBadVideo: () => undefined });
  await assert.rejects(async () => { for await (const b of doomed) b.views.forEach((v) => v.dispose()); }, /gave up after .* unreadable videos/);
});

test('loader: the frame cache gives the same batches as decoding every sample, within its budget', async () => {
  const plain = await collect({ parallelism: 2 });
  const cache = new VideoCache(64 * 2 ** 20);
  for (const epoch of [0, 1]) {
    // The first epoch decodes whole videos into the cache; the second reads only from it.
    const cached = await collect({ parallelism: 2, epoch }, cache);
    assert.deepEqual(cached.batches, epoch === 0 ? plain.batches : (await collect({ parallelism: 2, epoch })).batches);
  }
  const perVideo = cache.decoded.usedBytes / ds.items.length;
  assert.ok(perVideo > 0 && cache.decoded.usedBytes <= cache.decoded.budgetBytes, `${cache.decoded.usedBytes} bytes cached`);
  // A budget for two videos: those two come from the cache, the rest are decoded per sample, same result.
  const small = new VideoCache(Math.ceil(2.5 * perVideo));
  assert.deepEqual((await collect({ parallelism: 2 }, small)).batches, plain.batches);
  assert.ok(small.decoded.usedBytes > 0 && small.decoded.usedBytes <= small.decoded.budgetBytes, `${small.decoded.usedBytes} of ${small.decoded.budgetBytes}`);
  // Training mode (fine-tuning's loader): one clip per video, the same equality.
  const trainCache = new VideoCache(64 * 2 ** 20);
  for (const epoch of [0, 1]) assert.deepEqual((await collect({ mode: 'train', epoch }, trainCache)).batches, (await collect({ mode: 'train', epoch })).batches);
  assert.ok(trainCache.decoded.usedBytes > 0);
  // Clips longer than the 20-frame videos wrap to the start (copied from the cache, not viewed): the same.
  const wrapCache = new VideoCache(64 * 2 ** 20);
  for (const epoch of [0, 1]) assert.deepEqual((await collect({ frames: 8, stride: 3, epoch }, wrapCache)).batches, (await collect({ frames: 8, stride: 3, epoch })).batches);
  assert.throws(() => new VideoCache(-1), /frame cache budget must be >= 0 bytes/);
});
