// Why a run may resume on another world size with the same global batch: step k of the epoch takes
// the same videos whether one rank loads batch B x W or W ranks load B each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VideoLoader } from '../../src/video/loader.js';
import { type VideoDataset } from '../../src/video/dataset.js';

const dataset = (n: number): VideoDataset => ({ root: '/videos', format: 'folder', classes: ['a'], items: Array.from({ length: n }, (_, i) => ({ path: `/videos/v${i}.mp4`, label: 0 })) });

function stepVideos(n: number, globalBatch: number, world: number, groups?: number[]): number[][] {
  const b = globalBatch / world;
  const ranks = Array.from({ length: world }, (_, rank) => new VideoLoader({ dataset: dataset(n), mode: 'pretrain', batchSize: b, frames: 4, stride: 1, size: 32, seed: 3, epoch: 2, rank, worldSize: world, groups }).order);
  const steps = Math.floor(ranks[0].length / b);
  return Array.from({ length: steps }, (_, k) => ranks.flatMap((o) => o.slice(k * b, (k + 1) * b)).sort((x, y) => x - y));
}

test('loader shards: with the same global batch, every step takes the same videos on 1, 2 or 4 ranks (plain and scene-grouped order)', () => {
  for (const groups of [undefined, Array.from({ length: 96 }, (_, i) => i % 12)]) {
    const one = stepVideos(96, 16, 1, groups);
    assert.equal(one.length, 6);
    assert.deepEqual(stepVideos(96, 16, 2, groups), one);
    assert.deepEqual(stepVideos(96, 16, 4, groups), one);
  }
});

test('loader shards: a dataset that does not divide by the world size is padded, so every rank runs the same steps', () => {
  for (const world of [2, 3, 4]) {
    const lengths = Array.from({ length: world }, (_, rank) => new VideoLoader({ dataset: dataset(97), mode: 'pretrain', batchSize: 4, frames: 4, stride: 1, size: 32, rank, worldSize: world }).length);
    assert.deepEqual(lengths, Array(world).fill(Math.floor(Math.ceil(97 / world) / 4)), `world ${world}`);
  }
});
