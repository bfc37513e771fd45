// Frames as displayed, against the ffmpeg CLI's default rgb24 output (it autorotates): display
// rotation, sample aspect ratio, and pixel formats that take other conversion paths (10-bit, 4:4:4,
// grayscale, full-range MJPEG, odd sizes), variable frame rate and animated GIFs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { probeVideo, decodeClips, type DecodeSize } from '../../src/video/index.js';
import { tempDir } from '../helpers/python.js';
import { ffmpeg, ffmpegAvailable, cliRgb, byteDiff } from '../helpers/ffmpeg-cli.js';

const dir = tempDir('cvrl-display-');
const skip = !ffmpegAvailable() && 'the ffmpeg CLI is not installed';
const SRC = ['-f', 'lavfi', '-i', 'testsrc2=s=96x64:r=25:d=1'];

async function ours(path: string, size?: DecodeSize, frames = 1): Promise<{ bytes: Uint8Array; shape: number[] }> {
  const r = await decodeClips(path, { starts: [0], frames, stride: 1, size, seek: false });
  const bytes = r.frames.toTypedArray() as Uint8Array;
  const shape = r.frames.shape;
  r.frames.dispose();
  return { bytes, shape };
}

test('display rotation: probe reports the displayed size and decoded frames equal the CLI\'s autorotated ones', { skip }, async () => {
  const plain = join(dir, 'plain.mp4');
  ffmpeg([...SRC, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', plain]);
  for (const rotate of [90, 180, 270]) {
    // FFmpeg 5.1 writes a display matrix only on a stream copy with the legacy rotate tag.
    const path = join(dir, `rot${rotate}.mp4`);
    ffmpeg(['-i', plain, '-c', 'copy', '-metadata:s:v:0', `rotate=${rotate}`, path]);
    const info = await probeVideo(path);
    const quarter = rotate !== 180;
    assert.deepEqual([info.width, info.height], quarter ? [64, 96] : [96, 64], `rotate=${rotate}: displayed size`);
    assert.deepEqual([info.storedWidth, info.storedHeight], [96, 64]);
    assert.ok([90, 180, 270].includes(info.rotation), `rotate=${rotate}: probe rotation ${info.rotation}`);
    const got = await ours(path);
    assert.deepEqual(got.shape, quarter ? [1, 1, 96, 64, 3] : [1, 1, 64, 96, 3]);
    const d = byteDiff(got.bytes, cliRgb(path));
    assert.ok(d.mean <= 1, `rotate=${rotate}: mean abs difference ${d.mean} from the CLI (max ${d.max})`);
    // Resized: scaled in the stored orientation, then rotated, so equal to rotating the unrotated resize.
    if (quarter) {
      const turned = await ours(path, { height: 48, width: 32 });
      const flat = await ours(plain, { height: 32, width: 48 });
      const cw = info.rotation === 90;
      for (let y = 0; y < 48; y++) {
        for (let x = 0; x < 32; x++) {
          const [sy, sx] = cw ? [31 - x, y] : [x, 47 - y];
          for (let c = 0; c < 3; c++) {
            assert.equal(turned.bytes[(y * 32 + x) * 3 + c], flat.bytes[(sy * 48 + sx) * 3 + c], `rotate=${rotate} resized (${y}, ${x})`);
          }
        }
      }
      const short = await decodeClips(path, { starts: [0], frames: 1, stride: 1, size: { shortSide: 32 } });
      assert.deepEqual(short.frames.shape, [1, 1, 48, 32, 3], 'the short side of the displayed frame');
      short.frames.dispose();
    }
  }
});

test('sample aspect ratio: frames are stretched as players show them (ffmpeg scale=iw*sar:ih)', { skip }, async () => {
  const path = join(dir, 'sar.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=48x64:r=25:d=1', '-vf', 'setsar=2/1', '-c:v', 'libx264', path]);
  const info = await probeVideo(path);
  assert.deepEqual([info.width, info.height, info.storedWidth, info.storedHeight, info.sampleAspectRatio], [96, 64, 48, 64, 2]);
  const got = await ours(path);
  assert.deepEqual(got.shape, [1, 1, 64, 96, 3]);
  const d = byteDiff(got.bytes, cliRgb(path, { vf: 'scale=iw*sar:ih:flags=area,setsar=1' }));
  assert.ok(d.mean <= 1, `mean abs difference ${d.mean} from the CLI (max ${d.max})`);
});

const FORMATS: [string, string[], string][] = [
  ['10bit.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p10le'], '10-bit 4:2:0'],
  ['yuv444.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv444p'], '4:4:4'],
  ['gray.mkv', ['-c:v', 'ffv1', '-pix_fmt', 'gray'], 'grayscale'],
  ['fullrange.avi', ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj422p'], 'full-range MJPEG'],
  ['odd-mjpeg.avi', ['-vf', 'format=yuvj444p,crop=63:47:0:0,format=yuvj420p', '-c:v', 'mjpeg'], 'odd size 63x47, MJPEG 4:2:0'],
  ['odd-444.mp4', ['-vf', 'format=yuv444p,crop=63:47:0:0', '-c:v', 'libx264'], 'odd size 63x47, h264 4:4:4'],
  // 4:2:0 at the stored size takes swscale's SIMD converter, which writes whole vectors past a row's end.
  ['narrow.mp4', ['-vf', 'crop=90:64:0:0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'width 90 (no multiple of 8), h264 4:2:0'],
  ['portrait.mp4', ['-vf', 'scale=120:160,setsar=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'portrait 120x160, h264 4:2:0'],
];

for (const [name, args, what] of FORMATS) {
  test(`${what}: frame 0 equals the CLI's rgb24 within 1/255 on average`, { skip }, async () => {
    const path = join(dir, name);
    ffmpeg([...SRC, ...args, path]);
    const info = await probeVideo(path);
    const got = await ours(path);
    assert.deepEqual(got.shape, [1, 1, info.height, info.width, 3]);
    const d = byteDiff(got.bytes, cliRgb(path));
    assert.ok(d.mean <= 1 && d.max <= 8, `${what}: mean abs difference ${d.mean}, max ${d.max} from the CLI`);
  });
}

test('4:2:0 shrunk to odd and even sizes, in one or both directions, equals the CLI\'s area scale into rgb24', { skip }, async () => {
  // Sharp colour edges: a conversion that sites chroma differently (scaling the planes first, then
  // converting at the output size) was 1-8 levels off on average here, up to 255 at edges.
  // Odd widths shrunk both ways are converted through planar RGB: the same pixels as the CLI's at
  // large ratios, within one level on rounding ties at small ones (at most 0.5% of values here).
  const path = join(dir, 'shrink.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path]);
  const sizes: [number, number, number][] = [[112, 112, 0], [57, 75, 0], [57, 76, 0], [240, 160, 0], [120, 320, 0], [128, 171, 0], [1, 1, 0], [160, 213, 1], [239, 319, 1], [240, 319, 0]];
  for (const [h, w, tie] of sizes) {
    const got = await ours(path, { height: h, width: w });
    assert.deepEqual(got.shape, [1, 1, h, w, 3]);
    const d = byteDiff(got.bytes, cliRgb(path, { vf: `scale=${w}:${h}:flags=area` }));
    assert.ok(d.max <= tie && d.differing <= 0.005, `${w}x${h}: ${(d.differing * 100).toFixed(3)}% of values differ from the CLI's, by up to ${d.max}`);
  }
});

test('other pixel formats shrunk to an odd width (planar conversion) equal the CLI\'s area scale into rgb24', { skip }, async () => {
  // FFV1 stores each of these as is; nv12 goes in raw (FFV1 has no semi-planar format).
  const cases: [string, string][] = [['yuva420p', 'ffv1'], ['yuv410p', 'ffv1'], ['gbrp10le', 'ffv1'], ['gray16le', 'ffv1'], ['yuv420p16le', 'ffv1'], ['nv12', 'rawvideo']];
  for (const [pixFmt, codec] of cases) {
    const path = join(dir, `odd-${pixFmt}.mkv`);
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=0.2', '-pix_fmt', pixFmt, '-c:v', codec, path]);
    for (const [h, w] of [[57, 75], [128, 171]]) {
      const got = await ours(path, { height: h, width: w });
      const d = byteDiff(got.bytes, cliRgb(path, { vf: `scale=${w}:${h}:flags=area` }));
      assert.ok(d.max === 0, `${pixFmt} to ${w}x${h}: mean abs difference ${d.mean}, max ${d.max} from the CLI`);
    }
  }
});

test('animated GIF (palette, frames that redraw only what changed, variable delays): every frame as the CLI decodes it, and seeking lands on the same frames', { skip }, async () => {
  const path = join(dir, 'anim.gif');
  ffmpeg([...SRC, '-vf', "setpts='if(lt(N,10),N,2*N)/25/TB',split[a][b];[a]palettegen[p];[b][p]paletteuse", '-fps_mode', 'vfr', path]);
  const info = await probeVideo(path);
  assert.deepEqual([info.codec, info.frames, info.width, info.height], ['gif', 25, 96, 64]);
  const all = await ours(path, undefined, 25);
  const d = byteDiff(all.bytes, cliRgb(path, { frames: 25, passthrough: true }));
  assert.ok(d.mean === 0 && d.max === 0, `mean abs difference ${d.mean}, max ${d.max} from the CLI`);
  const seek = await decodeClips(path, { starts: [17, 4], frames: 3, stride: 2 });
  const seq = await decodeClips(path, { starts: [17, 4], frames: 3, stride: 2, seek: false });
  assert.deepEqual(seek.frames.toTypedArray(), seq.frames.toTypedArray());
  seek.frames.dispose();
  seq.frames.dispose();
});

test('a decode at the stored size writes nothing past its frame buffer (a fresh process under glibc malloc aborts on heap corruption)', { skip }, () => {
  const addon = fileURLToPath(new URL('../../build/Release/cvrl_native.node', import.meta.url));
  // A portrait video at its own size and shrunk to an odd width (planar), and a 170x128 one (a common UCF-101 copy) at the default short side for 112 crops.
  for (const [name, scale, size] of [['portrait-fresh.mp4', '120:160', { height: 160, width: 120 }], ['portrait-shrunk.mp4', '120:160', { height: 57, width: 37 }],
    ['ucf-170x128.mp4', '170:128', { shortSide: 128 }]] as const) {
    const path = join(dir, name);
    ffmpeg([...SRC, '-vf', `scale=${scale},setsar=1`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path]);
    const script = `require(${JSON.stringify(addon)}).decodeClips(${JSON.stringify(path)}, [0, 10], 4, 2, ${JSON.stringify(size)}).then(() => console.log('ok'))`;
    const env: NodeJS.ProcessEnv = { ...process.env, MALLOC_CHECK_: '3', LD_PRELOAD: '' }; // jemalloc would not notice
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${name}: exit ${r.status} (signal ${r.signal}): ${r.stderr.trim().split('\n').pop()}`);
    assert.equal(r.stdout.trim(), 'ok');
  }
});

test('variable frame rate: every frame in presentation order, as the CLI outputs them without frame-rate conversion', { skip }, async () => {
  const path = join(dir, 'vfr.mp4');
  // Frames 0-9 at 25 fps, then every second slot, then a jump: timestamps no constant rate explains.
  ffmpeg([...SRC, '-vf', "setpts='if(lt(N,10),N,if(lt(N,18),2*N-10,2*N+7))/25/TB'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-bf', '2', path]);
  const info = await probeVideo(path);
  assert.equal(info.frames, 25);
  const got = await ours(path, undefined, 25);
  const ref = cliRgb(path, { frames: 25, passthrough: true });
  const per = 96 * 64 * 3;
  assert.equal(ref.length, 25 * per, 'the CLI output 25 frames');
  for (let f = 0; f < 25; f++) {
    const d = byteDiff(got.bytes.subarray(f * per, (f + 1) * per), ref.subarray(f * per, (f + 1) * per));
    assert.ok(d.mean <= 1, `frame ${f}: mean abs difference ${d.mean} from the CLI`);
  }
  // Seeking decodes land on the same frames.
  const seek = await decodeClips(path, { starts: [3, 12, 20], frames: 3, stride: 2 });
  const sb = seek.frames.toTypedArray() as Uint8Array;
  [3, 12, 20].forEach((s, c) => {
    for (let t = 0; t < 3; t++) {
      const f = (s + 2 * t) % 25;
      assert.ok(Buffer.from(sb.subarray((c * 3 + t) * per, (c * 3 + t + 1) * per)).equals(Buffer.from(got.bytes.subarray(f * per, (f + 1) * per))), `seek clip ${c} frame ${t}`);
    }
  });
  seek.frames.dispose();
});
