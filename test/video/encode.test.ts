// writeVideo: the same frames give the same file, so synthetic sets are reproducible per seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fromTypedArray } from '../../src/torch/index.js';
import { writeVideo, avaSynthVideo, type VideoCodec } from '../../src/video/index.js';
import { tempDir } from '../helpers/python.js';

const EXT: Record<VideoCodec, string> = { h264: 'mp4', mpeg4: 'avi', mjpeg: 'avi', vp9: 'webm' };

test('writeVideo is deterministic: the same frames give the same bytes, encode after encode, for every codec', async () => {
  const dir = tempDir('cvrl-encode-');
  const { rgb } = avaSynthVideo(7, 0, { seconds: 3, width: 48, height: 32, fps: 8, noise: 3 });
  // x264's AVX-512 kernels read memory left over from earlier work: on such CPUs about one encode
  // in five of these frames differed, so many encodes, each after the previous one freed its memory.
  const encodes: Record<VideoCodec, number> = { h264: 30, mpeg4: 3, mjpeg: 3, vp9: 3 };
  for (const codec of Object.keys(encodes) as VideoCodec[]) {
    let first: Buffer | undefined;
    for (let i = 0; i < encodes[codec]; i++) {
      const frames = fromTypedArray(rgb, [24, 32, 48, 3]);
      const path = join(dir, `${codec}-${i}.${EXT[codec]}`);
      try {
        await writeVideo(path, frames, { fps: 8, codec });
      } finally {
        frames.dispose();
      }
      const bytes = readFileSync(path);
      first ??= bytes;
      assert.ok(bytes.equals(first), `${codec}: encode ${i} differs from the first`);
    }
  }
});
