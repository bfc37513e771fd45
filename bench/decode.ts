/**
 * Decoding throughput: clips of 16 frames at stride 2 resized to 112x112 from 320x240 h264 and
 * mpeg4 files, and decoded + CVRL-augmented batches of 8, for 1 and 2 threads, side by side with
 * the PyTorchVideo recipe (PyAV + torch transforms, bench/decode_ref.py) in the same run.
 * Usage: node --import tsx bench/decode.ts [--clips 96] [--out DIR]. Prints one JSON object.
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { fromTypedArray, stack, setNumThreads } from '../src/torch/index.js';
import { writeVideo, decodeClips, Rng, cvrlViewConfigs, sampleClipParams, augmentClipAsync, type VideoCodec } from '../src/video/index.js';
import { renderVideo } from '../src/video/synth.js';

const { values } = parseArgs({ options: { clips: { type: 'string', default: '96' }, out: { type: 'string', default: join(tmpdir(), 'cvrl-bench') } } });
const CLIPS = Number(values.clips), FRAMES = 16, STRIDE = 2, LENGTH = 175; // UCF-101's mean length at 25 fps
mkdirSync(values.out, { recursive: true });

async function fixture(codec: VideoCodec, ext: string): Promise<string> {
  // A synthetic scene rendered at 320x240 (moving object over a textured background), 7 s at 25 fps.
  const small = renderVideo("Orbit", LENGTH, 240, Rng.from(1));
  const rgb = new Uint8Array(LENGTH * 240 * 320 * 3);
  for (let t = 0; t < LENGTH; t++) for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) {
    const src = ((t * 240 + y) * 240 + Math.min(239, Math.floor((x * 240) / 320))) * 3, dst = ((t * 240 + y) * 320 + x) * 3;
    rgb[dst] = small[src] ^ (x & 15); rgb[dst + 1] = small[src + 1] ^ (y & 15); rgb[dst + 2] = small[src + 2];
  }
  const path = join(values.out, `bench-${codec}.${ext}`);
  const t = fromTypedArray(rgb, [LENGTH, 240, 320, 3]);
  await writeVideo(path, t, { codec, gop: codec === 'h264' ? 25 : 12, fps: 25 });
  t.dispose();
  return path;
}

async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  }));
  return out;
}

function starts(seed: number): number[] {
  const rng = Rng.from(seed);
  return Array.from({ length: CLIPS }, () => rng.int(LENGTH - (FRAMES - 1) * STRIDE));
}

async function oursDecode(path: string, threads: number): Promise<number> {
  const t0 = performance.now();
  await pool(threads, starts(0).map((s) => async () => {
    const r = await decodeClips(path, { starts: [s], frames: FRAMES, stride: STRIDE, size: { height: 112, width: 112 } });
    r.frames.dispose();
  }));
  return CLIPS / ((performance.now() - t0) / 1000);
}

async function oursAugment(path: string, threads: number): Promise<number> {
  const cfg = cvrlViewConfigs(112)[0];
  const t0 = performance.now();
  const clips = await pool(threads, starts(0).map((s, i) => async () => {
    const r = await decodeClips(path, { starts: [s], frames: FRAMES, stride: STRIDE, size: { shortSide: 128 } });
    const f = r.frames.select(0, 0);
    const [T, H, W] = f.shape;
    const out = await augmentClipAsync(f, sampleClipParams(cfg, T, H, W, Rng.from(i)), cfg);
    f.dispose();
    r.frames.dispose();
    return out;
  }));
  for (let i = 0; i + 8 <= clips.length; i += 8) stack(clips.slice(i, i + 8)).dispose();
  clips.forEach((c) => c.dispose());
  return Math.floor(CLIPS / 8) / ((performance.now() - t0) / 1000);
}

function reference(path: string, threads: number, mode: 'decode' | 'augment'): Record<string, number | string> | { error: string } {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'decode_ref.py');
  const r = spawnSync('/usr/bin/python3', [script, path, String(CLIPS), String(threads), mode, '0'], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? 'failed' };
  return JSON.parse(r.stdout);
}

const results: Record<string, unknown>[] = [];
for (const [codec, ext] of [['h264', 'mp4'], ['mpeg4', 'avi']] as const) {
  const path = await fixture(codec, ext);
  for (const threads of [1, 2]) {
    setNumThreads(1); // equal threads: `threads` clips decode and augment at once on worker threads, one op thread each
    const decode = await oursDecode(path, threads);
    const refDecode = reference(path, threads, 'decode');
    const augment = await oursAugment(path, threads);
    const refAugment = reference(path, threads, 'augment');
    const r = (a: number, b: unknown) => (typeof b === 'number' ? Math.round((a / b) * 100) / 100 : null);
    results.push({
      codec, threads,
      decode: { cvrl_clips_per_s: Math.round(decode * 100) / 100, reference: refDecode, speedup: r(decode, (refDecode as { clips_per_s?: number }).clips_per_s) },
      augment: { cvrl_batches_per_s: Math.round(augment * 100) / 100, reference: refAugment, speedup: r(augment, (refAugment as { batches_per_s?: number }).batches_per_s) },
    });
  }
}
console.log(JSON.stringify({ bench: 'decode', clips: CLIPS, frames: FRAMES, stride: STRIDE, source: '320x240, 175 frames, 25 fps', results }, null, 1));
