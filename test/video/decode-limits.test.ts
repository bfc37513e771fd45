// One file cannot exhaust memory (case 3 of issue 14): frame size, aspect ratio when resizing by the
// short side, output size, frame count and the frame-index cache are bounded, with errors naming the file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { copyFileSync } from 'node:fs';
import { probeVideo, decodeClips, videoLimits, setVideoLimits } from '../../src/video/index.js';
import { native } from '../../src/native/addon.js';
import { makeVideo } from '../helpers/videos.js';
import { tempDir } from '../helpers/python.js';
import { ffmpeg, ffmpegAvailable } from '../helpers/ffmpeg-cli.js';

const dir = tempDir('cvrl-limits-');
const defaults = videoLimits();
after(() => setVideoLimits(defaults));

test('the default limits', () => {
  assert.deepEqual(defaults, { maxFramePixels: 8192 * 8192, maxAspectRatio: 8, maxOutputBytes: 2 ** 30, maxFrames: 2 ** 21, indexCacheBytes: 256 * 2 ** 20, timeoutMs: 60000 });
});

test('a 16384x8 video resized by its short side fails at once as too elongated, allocating nothing', { skip: !ffmpegAvailable() && 'the ffmpeg CLI is not installed' }, async () => {
  const path = join(dir, 'wide.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'color=c=gray:s=16384x8:r=25:d=1.28', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path]);
  const info = await probeVideo(path);
  assert.deepEqual([info.width, info.height, info.frames], [16384, 8, 32]);
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  // Unbounded, this returned [2, 16, 128, 262144, 3]: 3.2 GB.
  await assert.rejects(decodeClips(path, { starts: [0, 8], frames: 16, stride: 1, size: { shortSide: 128 } }),
    (e: Error) => e.message.startsWith(path) && /frame too large for its short side: aspect ratio 2048:1 \(16384x8 as displayed\) is beyond 8:1/.test(e.message));
  assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
  assert.ok(process.memoryUsage().rss - rss < 100 * 2 ** 20, `resident memory grew by ${(process.memoryUsage().rss - rss) / 2 ** 20} MiB`);
  // Decoded as stored it is small (16384 x 8 x 3 bytes a frame), and allowed.
  const stored = await decodeClips(path, { starts: [0], frames: 2, stride: 1 });
  assert.deepEqual(stored.frames.shape, [1, 2, 8, 16384, 3]);
  stored.frames.dispose();
});

test('frame pixels, output bytes and frames per file are bounded, with errors naming the file and the limit', async () => {
  const path = await makeVideo(dir, 'small.mp4', { frames: 30 });
  try {
    setVideoLimits({ maxOutputBytes: 100_000 });
    // 2 clips x 8 frames x 48 x 64 x 3 = 147456 bytes: refused before decoding.
    await assert.rejects(decodeClips(path, { starts: [0, 10], frames: 8, stride: 1 }), (e: Error) => e.message.startsWith(path) && /\[2, 8, 48, 64, 3\] would take .* beyond the limit of 0 MiB \(maxOutputBytes\)/.test(e.message));
    // An exact size far too large is refused the same way, with the default limit.
    setVideoLimits({ maxOutputBytes: defaults.maxOutputBytes });
    await assert.rejects(decodeClips(path, { starts: [0], frames: 8, stride: 1, size: { height: 16384, width: 16384 } }), /would take 6144 MiB, beyond the limit of 1024 MiB/);
    setVideoLimits({ maxFramePixels: 1000 });
    await assert.rejects(probeVideo(path), (e: Error) => e.message.startsWith(path) && /frame too large: 64x48 is more than 1000 pixels \(maxFramePixels\)/.test(e.message));
    setVideoLimits({ maxFramePixels: defaults.maxFramePixels, maxFrames: 10 });
    const fresh = join(dir, 'fresh.mp4');
    copyFileSync(path, fresh);  // not in the index cache yet
    await assert.rejects(decodeClips(fresh, { starts: [0], frames: 2, stride: 1 }), (e: Error) => e.message.startsWith(fresh) && /more than 10 video frames \(maxFrames\)/.test(e.message));
    setVideoLimits({ maxFrames: defaults.maxFrames, maxAspectRatio: 1.2 });
    await assert.rejects(decodeClips(path, { starts: [0], frames: 2, stride: 1, size: { shortSide: 24 } }), /aspect ratio 1\.333:1 \(64x48 as displayed\) is beyond 1\.2:1/);
  } finally {
    setVideoLimits(defaults);
  }
  const ok = await decodeClips(path, { starts: [0], frames: 2, stride: 1, size: { shortSide: 24 } });
  assert.deepEqual(ok.frames.shape, [1, 2, 24, 32, 3]);
  ok.frames.dispose();
});

test('the frame-index cache is bounded by bytes, not only by entries', async () => {
  const src = await makeVideo(dir, 'cache.mp4', { frames: 60 });
  try {
    setVideoLimits({ indexCacheBytes: 2000 });  // two indices of 60 frames (9 bytes a frame plus the path), or three small ones
    for (let i = 0; i < 6; i++) {
      const p = join(dir, `cache${i}.mp4`);
      copyFileSync(src, p);
      assert.equal((await probeVideo(p)).frames, 60);
      const s = native.videoIndexCacheStats();
      assert.ok(s.bytes <= 2000 && s.entries <= 3, `after ${i + 1} files: ${JSON.stringify(s)}`);
    }
    assert.ok(native.videoIndexCacheStats().entries >= 1, 'indices that fit are still cached');
    setVideoLimits({ indexCacheBytes: 100 });  // smaller than one index: nothing is kept
    copyFileSync(src, join(dir, 'cache-big.mp4'));
    await probeVideo(join(dir, 'cache-big.mp4'));
    assert.ok(native.videoIndexCacheStats().bytes <= 2000);
  } finally {
    setVideoLimits(defaults);
  }
});
