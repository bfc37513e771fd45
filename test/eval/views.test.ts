// Multi-view testing: how many views each test video gets, where they sit in time and space, and their order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fromTypedArray } from '../../src/torch/index.js';
import { writeVideo, VideoLoader, uniformClipStarts, type VideoDataset } from '../../src/video/index.js';
import { tempDir } from '../helpers/python.js';

// Frame t has red = 6t everywhere and green rising from left to right, so a view's mean red tells
// its start frame and its mean green tells its horizontal crop position.
const T = 40, H = 48, W = 96;
function rampVideo(): Uint8Array {
  const d = new Uint8Array(T * H * W * 3);
  for (let t = 0; t < T; t++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = ((t * H + y) * W + x) * 3;
    d[i] = 6 * t;
    d[i + 1] = Math.round((x * 255) / (W - 1));
    d[i + 2] = 128;
  }
  return d;
}

test('eval views: temporal x spatial count, evenly spaced starts, left/centre/right crops, video-major order', async () => {
  const dir = tempDir('cvrl-views-');
  const path = join(dir, 'ramp.mkv');
  const frames = fromTypedArray(rampVideo(), [T, H, W, 3]);
  await writeVideo(path, frames, { codec: 'mjpeg' });
  frames.dispose();
  const dataset: VideoDataset = { root: dir, format: 'list', classes: ['a'], items: [{ path, label: 0 }, { path, label: 0 }] };
  const clip = { frames: 4, stride: 3 };
  const loader = new VideoLoader({ dataset, mode: 'eval', batchSize: 2, ...clip, size: 32, decodeShortSide: 48, temporalViews: 5, spatialViews: 3, normalization: { mean: [0, 0, 0], std: [1, 1, 1] } });
  const batches = [];
  for await (const b of loader) batches.push(b);
  assert.equal(batches.length, 1);
  const x = batches[0].views[0];
  assert.equal(batches[0].viewsPerVideo, 15);
  assert.deepEqual(x.shape, [2 * 15, 3, 4, 32, 32]);
  const starts = uniformClipStarts(T, clip, 5);
  assert.equal(starts[0], 0);
  assert.equal(starts[4], T - 1 - (clip.frames - 1) * clip.stride);
  const means = x.mean([3, 4]).toArray(); // [30, 3, 4] -> per view, channel, frame
  const at = (v: number, c: number, f: number) => means[(v * 3 + c) * 4 + f];
  for (let v = 0; v < 30; v++) {
    const temporal = Math.floor((v % 15) / 3), spatial = v % 3;
    for (let f = 0; f < 4; f++) {
      const red = at(v, 0, f) * 255;
      assert.ok(Math.abs(red - 6 * (starts[temporal] + f * clip.stride)) < 4, `view ${v} frame ${f}: red ${red.toFixed(1)}`);
    }
    // 32-wide crops at x = 0, 32, 64 of the 96-wide frame: mean green (x0 + 15.5) / 95.
    const green = at(v, 1, 0);
    assert.ok(Math.abs(green - ([0, 32, 64][spatial] + 15.5) / 95) < 0.03, `view ${v}: green ${green.toFixed(3)}`);
  }
  x.dispose();
});
