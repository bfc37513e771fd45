// Frame-exactness: clips decoded with seeking equal the frames of a full sequential decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Tensor } from '../../src/torch/index.js';
import { probeVideo, decodeClips, type WriteOptions } from '../../src/video/index.js';
import { makeVideo } from '../helpers/videos.js';
import { tempDir, torchAvailable } from '../helpers/python.js';

const dir = tempDir('cvrl-video-');
const CODECS: [string, WriteOptions][] = [
  ['h264.mp4', { codec: 'h264', gop: 12, bframes: 2 }],
  ['h264-nob.mkv', { codec: 'h264', gop: 10 }],
  ['mpeg4.avi', { codec: 'mpeg4', gop: 12 }],
  ['mpeg4-bframes.avi', { codec: 'mpeg4', gop: 12, bframes: 2 }],
  ['vp9.webm', { codec: 'vp9', gop: 12 }],
  ['mjpeg.avi', { codec: 'mjpeg' }],
];

function frameBytes(t: Tensor): Uint8Array[] {
  const [n, T] = t.shape;
  const all = t.toTypedArray() as Uint8Array;
  const per = all.length / (n * T);
  return Array.from({ length: n * T }, (_, i) => all.subarray(i * per, (i + 1) * per));
}

for (const [name, opts] of CODECS) {
  test(`${name}: seeking clip decode is frame-exact (starts inside GOPs, stride, looping, resize)`, async () => {
    const path = await makeVideo(dir, name, { frames: 60, ...opts });
    const info = await probeVideo(path);
    assert.equal(info.frames, 60);
    assert.equal(info.width, 64);
    assert.equal(info.height, 48);
    assert.ok(Math.abs(info.fps - 25) < 1e-6);
    for (const size of [undefined, { shortSide: 32 }, { height: 40, width: 40 }]) {
      const full = await decodeClips(path, { starts: [0], frames: 60, stride: 1, seek: false, size });
      const ref = frameBytes(full.frames);
      const starts = [13, 37, 5, 50, 25, 0, 59];
      const got = await decodeClips(path, { starts, frames: 8, stride: 2, size });
      assert.equal(got.frameCount, 60);
      const frames = frameBytes(got.frames);
      starts.forEach((s, c) => {
        for (let t = 0; t < 8; t++) {
          const f = (s + t * 2) % 60;
          assert.ok(Buffer.from(frames[c * 8 + t]).equals(Buffer.from(ref[f])), `${name} size ${JSON.stringify(size)}: clip ${c} frame ${t} (source ${f}) differs`);
        }
      });
      if (size?.shortSide) assert.deepEqual(got.frames.shape, [7, 8, 32, 43, 3]);
      full.frames.dispose();
      got.frames.dispose();
    }
  });
}

// Unwanted non-reference frames are skipped (skipNonRef, on by default). That must not change a
// byte: every frame equals the frame at that index of a full sequential decode (which decodes
// everything), for strides 1-3 from starts inside GOPs (keyframe every 12), with one decoder thread
// and with frame threads. x264 with 3 B-frames uses b-pyramid, so some B-frames are references
// and must still be decoded; MPEG-4 B-VOPs never are. `retried` must stay false: a wrongly skipped
// frame would otherwise be repaired silently by the sequential retry.
const SKIP_CASES: [string, WriteOptions][] = [
  ['skip-h264-b3.mp4', { codec: 'h264', gop: 12, bframes: 3 }],
  ['skip-h264-b2.mkv', { codec: 'h264', gop: 12, bframes: 2 }],
  ['skip-mpeg4-b2.mp4', { codec: 'mpeg4', gop: 12, bframes: 2 }],
];

for (const [name, opts] of SKIP_CASES) {
  test(`${name}: skipping unwanted non-reference frames is frame-exact (strides 1-3, starts inside GOPs, frame threads)`, async () => {
    const N = 72, T = 8;
    const path = await makeVideo(dir, name, { frames: N, ...opts });
    const full = await decodeClips(path, { starts: [0], frames: N, stride: 1, seek: false });
    assert.equal(full.decodedFrames, N, 'the sequential decode decodes every frame');
    const ref = frameBytes(full.frames);
    full.frames.dispose();
    for (const stride of [1, 2, 3]) {
      for (const decoderThreads of [1, 2]) {
        let decodedSkip = 0, decodedAll = 0;
        const check = async (starts: number[]) => {
          for (const skipNonRef of [true, false]) {
            const got = await decodeClips(path, { starts, frames: T, stride, decoderThreads, skipNonRef });
            const where = `${name} stride ${stride} threads ${decoderThreads} skipNonRef ${skipNonRef} starts [${starts}]`;
            assert.equal(got.retried, false, `${where}: retried after ${got.firstError}`);
            const frames = frameBytes(got.frames);
            starts.forEach((s, c) => {
              for (let t = 0; t < T; t++) {
                const f = (s + t * stride) % N;
                assert.ok(Buffer.from(frames[c * T + t]).equals(Buffer.from(ref[f])), `${where}: clip ${c} frame ${t} (source ${f}) differs`);
              }
            });
            got.frames.dispose();
            if (skipNonRef) decodedSkip += got.decodedFrames;
            else decodedAll += got.decodedFrames;
          }
        };
        for (const s of [1, 5, 13, 22, 30, 37, 47, 51]) await check([s]);
        await check([3, 26, 50]);
        assert.ok(decodedSkip <= decodedAll, `${name} stride ${stride}: skipping decoded more frames (${decodedSkip} > ${decodedAll})`);
        // With stride > 1 half or more of the frames are unwanted, some of them non-reference B-frames.
        if (stride > 1) assert.ok(decodedSkip < decodedAll, `${name} stride ${stride} threads ${decoderThreads}: nothing was skipped (${decodedSkip} frames decoded both ways)`);
      }
    }
  });
}

test('non-reference frames are never skipped where frames are counted (AVI without timestamps, sequential decode)', async () => {
  const avi = await makeVideo(dir, 'count-mpeg4-b2.avi', { frames: 48, codec: 'mpeg4', gop: 12, bframes: 2 });
  const mp4 = await makeVideo(dir, 'count-h264-b3.mp4', { frames: 48, codec: 'h264', gop: 12, bframes: 3 });
  for (const [path, seek] of [[avi, true], [avi, false], [mp4, false]] as const) {
    const decoded = await Promise.all([true, false].map(async (skipNonRef) => {
      const r = await decodeClips(path, { starts: [13], frames: 8, stride: 2, seek, skipNonRef });
      r.frames.dispose();
      return r.decodedFrames;
    }));
    assert.equal(decoded[0], decoded[1], `${path} seek ${seek}: frames decoded with and without skipNonRef`);
  }
});

test('our sequential decode matches PyAV frame for frame (independent oracle)', { skip: !torchAvailable() && 'python3 missing' }, async (t) => {
  for (const name of ['h264.mp4', 'mpeg4-bframes.avi', 'vp9.webm']) {
    const path = join(dir, name);
    const r = spawnSync('/usr/bin/python3', ['-c', `
import sys, av, numpy as np
c = av.open(sys.argv[1])
frames = [f.to_ndarray(format='rgb24') for f in c.decode(video=0)]
np.save(sys.argv[2], np.stack(frames))
`, path, join(dir, `${name}.npy`)], { encoding: 'utf8' });
    if (r.status !== 0 && /No module named 'av'/.test(r.stderr) && !process.env.CI) return t.skip('PyAV (python3-av) is not installed');
    assert.equal(r.status, 0, r.stderr);
    const npy = readFileSync(join(dir, `${name}.npy`));
    const headerLen = npy.readUInt16LE(8);
    const theirs = new Uint8Array(npy.buffer, npy.byteOffset + 10 + headerLen);
    const ours = await decodeClips(path, { starts: [0], frames: 60, stride: 1, seek: false });
    const mine = ours.frames.toTypedArray() as Uint8Array;
    assert.equal(theirs.length, mine.length, `${name}: PyAV decoded a different number of frames`);
    const per = 48 * 64 * 3;
    for (let f = 0; f < 60; f++) {
      const diff = (g: number) => { let s = 0; for (let i = 0; i < per; i++) s += Math.abs(mine[f * per + i] - theirs[g * per + i]); return s / per; };
      const same = diff(f);
      assert.ok(same < 3, `${name} frame ${f}: mean abs difference ${same} from PyAV`);
      if (f > 0) assert.ok(diff(f - 1) > same, `${name} frame ${f} is closer to PyAV's previous frame`);
    }
    ours.frames.dispose();
  }
});

test('malformed files are rejected with an error naming the file', async () => {
  const good = await makeVideo(dir, 'good.mp4', { frames: 40, codec: 'h264', gop: 8 });
  const bytes = readFileSync(good);
  const cases: [string, Buffer | null, RegExp][] = [
    ['zero.mp4', Buffer.alloc(0), /cannot open|no video|Invalid data/i],
    ['random.mp4', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 255)), /cannot open|no video|Invalid data|stream info/i],
    ['text.avi', Buffer.from('this is not a video\n'.repeat(20)), /cannot open|no video|Invalid data|stream info/i],
    ['missing.mp4', null, /No such file/],
  ];
  for (const [name, content, pattern] of cases) {
    const p = join(dir, name);
    if (content) writeFileSync(p, content);
    await assert.rejects(probeVideo(p), (e: Error) => e.message.startsWith(p) && pattern.test(e.message), name);
    await assert.rejects(decodeClips(p, { starts: [0], frames: 4, stride: 1 }), (e: Error) => e.message.startsWith(p), name);
  }
  const audio = join(dir, 'audio.wav');
  const ff = spawnSync('ffmpeg', ['-v', 'quiet', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', audio]);
  if (ff.status === 0) {
    await assert.rejects(probeVideo(audio), /audio\.wav: container 'wav' is not a video container/);
  } else if (process.env.CI) {
    assert.fail('ffmpeg CLI missing: scripts/setup.sh should install it');
  }
  // Truncated mid-stream: whatever decodes must be the true frames; the rest is an error, never garbage.
  const cut = join(dir, 'truncated.mp4');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const ref = frameBytes((await decodeClips(good, { starts: [0], frames: 40, stride: 1, seek: false })).frames);
  for (const start of [0, 10, 20, 30]) {
    try {
      const r = await decodeClips(cut, { starts: [start], frames: 4, stride: 1 });
      frameBytes(r.frames).forEach((fb, t) => assert.ok(Buffer.from(fb).equals(Buffer.from(ref[(start + t) % r.frameCount])) || r.frameCount < 40, `truncated start ${start} frame ${t}`));
    } catch (e) {
      assert.ok((e as Error).message.startsWith(cut), (e as Error).message);
    }
  }
});

test('decodeClips validates its arguments', async () => {
  const p = join(dir, 'h264.mp4');
  await assert.rejects(decodeClips(p, { starts: [], frames: 4, stride: 1 }), /clip starts/);
  await assert.rejects(decodeClips(p, { starts: [0], frames: 0, stride: 1 }), /frames must be a positive integer/);
  await assert.rejects(decodeClips(p, { starts: [-1], frames: 2, stride: 1 }), /non-negative/);
});
