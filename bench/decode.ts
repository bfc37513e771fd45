/**
 * Decoding throughput: clips of 16 frames at stride 2 resized to 112x112 from 320x240 h264 (without
 * and with B-frames) and mpeg4 files, and decoded + CVRL-augmented batches of 8, for 1 and 2
 * threads, side by side in the same run with two Python references (bench/decode_ref.py, run under
 * the same allocator settings): the PyTorchVideo recipe, and a tuned PyAV variant that converts and
 * scales only the wanted frames inside PyAV. Our decode is also timed with skipNonRef off (every
 * frame decoded) for an A/B in the same run; decoded_frames_per_clip counts decoder output, and
 * decode_only_bound_clips_per_s is what decoding those frames alone allows (ffmpeg CLI, 1 thread,
 * measured in every repetition; share_of_bound is our rate over it).
 * cvrl_pairs is pre-training's workload: two clips per video from CVRL's sampler, requested in one
 * call as the loader does (the tuned reference shares a pass between clips a second apart or less).
 * Rates are medians of --reps runs (ours and the tuned reference interleaved) because a shared
 * machine makes single runs noisy; the much slower PyTorchVideo recipe runs once per case, on the
 * first --pv-clips clips (default: all of them; fewer resolve its rate as well).
 * --video FILE (repeatable) runs the cases on your own files instead of the synthetic ones.
 * Usage: npm run bench:decode -- [--clips 96] [--reps 4] [--pv-clips N] [--out DIR] [--video FILE ...]. Prints one JSON object.
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { fromTypedArray, stack, setNumThreads, type Tensor } from '../src/torch/index.js';
import { writeVideo, decodeClips, probeVideo, Rng, cvrlViewConfigs, sampleClipParams, sampleClipPair, augmentClipAsync, type VideoCodec } from '../src/video/index.js';
import { renderVideo } from '../src/video/synth.js';
import { jemallocEnv } from '../scripts/jemalloc.mjs';
import { median, round } from './stats.js';

const { values } = parseArgs({ options: { clips: { type: 'string', default: '96' }, reps: { type: 'string', default: '4' }, 'pv-clips': { type: 'string' }, out: { type: 'string', default: join(tmpdir(), 'cvrl-bench') }, video: { type: 'string', multiple: true } } });
const CLIPS = Number(values.clips), REPS = Math.max(1, Number(values.reps)), FRAMES = 16, STRIDE = 2, LENGTH = 175; // UCF-101's mean length at 25 fps
const PV_CLIPS = Number(values['pv-clips'] ?? CLIPS);
if (!Number.isInteger(CLIPS) || CLIPS < 8) throw new RangeError(`--clips must be an integer >= 8 (one batch of 8), got ${values.clips}`);
if (!Number.isInteger(PV_CLIPS) || PV_CLIPS < 8 || PV_CLIPS > CLIPS) throw new RangeError(`--pv-clips must be an integer from 8 to --clips (${CLIPS}), got ${values['pv-clips']}`);
if (!Number.isInteger(REPS)) throw new RangeError(`--reps must be a positive integer, got ${values.reps}`);
mkdirSync(values.out, { recursive: true });

async function fixture(codec: VideoCodec, ext: string, bframes: number): Promise<string> {
  // A synthetic scene rendered at 320x240 (moving object over a textured background), 7 s at 25 fps.
  const small = renderVideo("Orbit", LENGTH, 240, Rng.from(1));
  const rgb = new Uint8Array(LENGTH * 240 * 320 * 3);
  for (let t = 0; t < LENGTH; t++) for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) {
    const src = ((t * 240 + y) * 240 + Math.min(239, Math.floor((x * 240) / 320))) * 3, dst = ((t * 240 + y) * 320 + x) * 3;
    rgb[dst] = small[src] ^ (x & 15); rgb[dst + 1] = small[src + 1] ^ (y & 15); rgb[dst + 2] = small[src + 2];
  }
  const path = join(values.out, `bench-${codec}${bframes ? `-b${bframes}` : ''}.${ext}`);
  const t = fromTypedArray(rgb, [LENGTH, 240, 320, 3]);
  await writeVideo(path, t, { codec, gop: codec === 'h264' ? 25 : 12, fps: 25, bframes });
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

/** A video under test: its path and its length in frames. */
interface Source { path: string; length: number }

function starts(seed: number, length: number): number[] {
  const rng = Rng.from(seed);
  return Array.from({ length: CLIPS }, () => rng.int(length - (FRAMES - 1) * STRIDE));
}

async function oursDecode({ path, length }: Source, threads: number, skipNonRef: boolean): Promise<{ rate: number; decoded: number }> {
  let decoded = 0;
  const t0 = performance.now();
  await pool(threads, starts(0, length).map((s) => async () => {
    const r = await decodeClips(path, { starts: [s], frames: FRAMES, stride: STRIDE, size: { height: 112, width: 112 }, skipNonRef });
    decoded += r.decodedFrames;
    r.frames.dispose();
  }));
  return { rate: CLIPS / ((performance.now() - t0) / 1000), decoded: decoded / CLIPS };
}

/** CVRL's workload: two clips per video, starts from the pre-training sampler (flat: a0, b0, a1, b1, ...). */
function pairStarts(seed: number, length: number): number[] {
  const rng = Rng.from(seed);
  return Array.from({ length: Math.floor(CLIPS / 2) }, () => sampleClipPair(length, { frames: FRAMES, stride: STRIDE }, rng).starts).flat();
}

/** Clips/s when both clips of a video are requested in one call, as the loader does (one decode pass serves both). */
async function oursPairs(path: string, threads: number, flat: number[]): Promise<number> {
  const t0 = performance.now();
  await pool(threads, Array.from({ length: flat.length / 2 }, (_, i) => async () => {
    const r = await decodeClips(path, { starts: [flat[2 * i], flat[2 * i + 1]], frames: FRAMES, stride: STRIDE, size: { height: 112, width: 112 } });
    r.frames.dispose();
  }));
  return flat.length / ((performance.now() - t0) / 1000);
}

/** Batches of 8 decoded + augmented clips, each made by one worker and collated, as a DataLoader worker makes them. */
async function oursAugment({ path, length }: Source, threads: number): Promise<number> {
  const cfg = cvrlViewConfigs(112)[0], all = starts(0, length), batches: number[][] = [];
  for (let i = 0; i + 8 <= all.length; i += 8) batches.push(all.slice(i, i + 8));
  const t0 = performance.now();
  await pool(threads, batches.map((b, j) => async () => {
    const clips: Tensor[] = [];
    for (const [k, s] of b.entries()) {
      const r = await decodeClips(path, { starts: [s], frames: FRAMES, stride: STRIDE, size: { shortSide: 128 } });
      const f = r.frames.select(0, 0);
      const [T, H, W] = f.shape;
      clips.push(await augmentClipAsync(f, sampleClipParams(cfg, T, H, W, Rng.from(j * 8 + k)), cfg));
      f.dispose();
      r.frames.dispose();
    }
    stack(clips).dispose();
    clips.forEach((c) => c.dispose());
  }));
  return batches.length / ((performance.now() - t0) / 1000);
}

const ratio = (a: number, b: unknown) => (typeof b === 'number' ? round(a / b) : null);

type RefResult = Record<string, number | string>;

/** One run of bench/decode_ref.py under the same allocator settings as ours (jemalloc, no page decay). */
function reference(path: string, threads: number, mode: 'decode' | 'augment' | 'pairs', recipe: 'pytorchvideo' | 'tuned', pairsFile: string): RefResult {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'decode_ref.py');
  const args = [script, path, String(recipe === 'pytorchvideo' ? PV_CLIPS : CLIPS), String(threads), mode, '0', recipe, ...(mode === 'pairs' ? [pairsFile] : [])];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', env: jemallocEnv() ?? process.env });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? 'failed' };
  return JSON.parse(r.stdout);
}

/** The median rate of several reference runs, or the first error. */
function referenceMedian(runs: RefResult[], key: 'clips_per_s' | 'batches_per_s'): RefResult {
  const rates = runs.map((x) => x[key]).filter((x): x is number => typeof x === 'number');
  return rates.length === runs.length ? { ...runs[0], [key]: round(median(rates)), runs: rates.join(' ') } : runs.find((x) => 'error' in x) ?? runs[0];
}

/** Our median rate beside the PyTorchVideo recipe's and the tuned reference's (the median of its runs). */
function comparison(key: 'clips_per_s' | 'batches_per_s', ours: number[], pv: RefResult, tunedRuns: RefResult[], runDigits: number) {
  const rate = median(ours), tuned = referenceMedian(tunedRuns, key);
  return {
    [`cvrl_${key}`]: round(rate), runs: ours.map((x) => round(x, runDigits)),
    speedup_vs_pytorchvideo: ratio(rate, pv[key]), speedup_vs_tuned: ratio(rate, tuned[key]),
    reference_pytorchvideo: pv, reference_tuned: tuned,
  };
}

/**
 * Milliseconds per frame of a plain single-threaded sequential decode by the ffmpeg CLI (no pixel
 * conversion, no seeking): what decoding alone costs, the same for any caller of libavcodec.
 */
function decodeOnlyMsPerFrame(path: string): number | null {
  const loops = 20;
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-benchmark', '-threads', '1', '-stream_loop', String(loops - 1), '-i', path, '-map', '0:v', '-f', 'null', '-'], { encoding: 'utf8' });
  const rtime = /rtime=([\d.]+)s/.exec(r.stderr ?? ''), frames = /frame=\s*(\d+)/g;
  let n = 0;
  for (const m of (r.stderr ?? '').matchAll(frames)) n = Number(m[1]);
  return rtime && n > 0 ? (Number(rtime[1]) * 1000) / n : null;
}

const results: Record<string, unknown>[] = [];
const SYNTHETIC = [['h264', 'mp4', 0], ['h264', 'mp4', 3], ['mpeg4', 'avi', 0]] as const;
// Your files (--video) or the synthetic ones, each with what labels its rows.
const sources: (Source & { label: Record<string, unknown> })[] = [];
if (values.video) {
  for (const path of values.video) {
    const info = await probeVideo(path);
    if (info.frames < FRAMES * STRIDE) throw new RangeError(`--video ${path}: ${info.frames} frames, fewer than one clip of ${FRAMES} at stride ${STRIDE}`);
    sources.push({ path, length: info.frames, label: { video: path, codec: info.codec, size: `${info.width}x${info.height}`, frames: info.frames } });
  }
} else {
  for (const [codec, ext, bframes] of SYNTHETIC) sources.push({ path: await fixture(codec, ext, bframes), length: LENGTH, label: { codec, bframes } });
}
for (const [k, source] of sources.entries()) {
  const { path } = source;
  const pairs = pairStarts(0, source.length), pairsFile = join(values.out, `pair-starts-${k}.json`);
  writeFileSync(pairsFile, JSON.stringify(pairs));
  (await decodeClips(path, { starts: [0], frames: 1, stride: 1 })).frames.dispose(); // index the file once, outside the timings
  for (const threads of [1, 2]) {
    setNumThreads(1); // equal threads: `threads` clips decode and augment at once on worker threads, one op thread each
    const runs = { all: [] as number[], skip: [] as number[], aug: [] as number[], pairs: [] as number[], tuned: [] as RefResult[], tunedAug: [] as RefResult[], tunedPairs: [] as RefResult[], msPerFrame: [] as number[] };
    let all = { rate: 0, decoded: 0 }, skip = { rate: 0, decoded: 0 };
    for (let i = 0; i < REPS; i++) {
      // Alternate which variant runs first: the second of two back-to-back runs tends to be faster.
      if (i % 2 === 0) all = await oursDecode(source, threads, false);
      skip = await oursDecode(source, threads, true);
      if (i % 2 === 1) all = await oursDecode(source, threads, false);
      runs.all.push(all.rate);
      runs.skip.push(skip.rate);
      runs.tuned.push(reference(path, threads, 'decode', 'tuned', pairsFile));
      // Measured in every repetition, beside the runs it bounds: this machine's speed drifts between minutes.
      const ms = decodeOnlyMsPerFrame(path);
      if (ms !== null) runs.msPerFrame.push(ms);
      runs.aug.push(await oursAugment(source, threads));
      runs.tunedAug.push(reference(path, threads, 'augment', 'tuned', pairsFile));
      runs.pairs.push(await oursPairs(path, threads, pairs));
      runs.tunedPairs.push(reference(path, threads, 'pairs', 'tuned', pairsFile));
    }
    // The PyTorchVideo recipe runs once per case: it is several times slower, so noise cannot change the comparison.
    const pv = (mode: 'decode' | 'augment' | 'pairs') => reference(path, threads, mode, 'pytorchvideo', pairsFile);
    // Clips/s if decoding the frames each clip needs were the only work (threads x a full core each).
    const bound = runs.msPerFrame.length ? round((threads * 1000) / (median(runs.msPerFrame) * skip.decoded), 1) : null;
    results.push({
      ...source.label, threads,
      decode: {
        ...comparison('clips_per_s', runs.skip, pv('decode'), runs.tuned, 0),
        cvrl_skip_off_clips_per_s: round(median(runs.all)), runs_skip_off: runs.all.map((x) => Math.round(x)),
        decoded_frames_per_clip: { skip: round(skip.decoded, 1), skip_off: round(all.decoded, 1) },
        decode_only_bound_clips_per_s: bound, share_of_bound: bound ? round(median(runs.skip) / bound) : null,
      },
      augment: comparison('batches_per_s', runs.aug, pv('augment'), runs.tunedAug, 2),
      cvrl_pairs: comparison('clips_per_s', runs.pairs, pv('pairs'), runs.tunedPairs, 0),
    });
  }
}
console.log(JSON.stringify({
  bench: 'decode', clips: CLIPS, pv_clips: PV_CLIPS, reps: REPS, frames: FRAMES, stride: STRIDE,
  source: values.video ? 'files given by --video' : '320x240, 175 frames, 25 fps; h264 keyframe every 25 (bframes 0 or 3), mpeg4 every 12', results,
}, null, 1));
