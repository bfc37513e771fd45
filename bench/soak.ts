/**
 * Soak check (issue 14): a pre-training run over a synthetic dataset mixed with every kind of bad
 * file the loader must survive (a FIFO, truncated, zero-byte, 16384x8, playlist, text and random
 * bytes named .mp4, broken and FIFO symbolic links, a non-video container). It must finish, report
 * each bad file once, and keep resident memory flat. Prints one JSON object.
 * Usage: npm run bench:soak -- [--steps 2000] [--size 32] [--batch 4] [--frames 4] [--threads 1] [--keep]
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pretrain, resolveConfig } from '../src/index.js';
import { synthesizeDataset, writeVideo } from '../src/video/index.js';
import { zeros, liveTensorCount } from '../src/torch/index.js';

const { values } = parseArgs({ options: {
  steps: { type: 'string', default: '2000' }, size: { type: 'string', default: '32' }, batch: { type: 'string', default: '4' },
  frames: { type: 'string', default: '4' }, threads: { type: 'string', default: '1' }, keep: { type: 'boolean', default: false },
} });
const steps = Number(values.steps), size = Number(values.size), batch = Number(values.batch);
for (const [k, v] of Object.entries({ steps, size, batch, frames: Number(values.frames), threads: Number(values.threads) })) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${k} must be a positive integer, got ${v}`);
}
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20 * 10) / 10;

const work = mkdtempSync(join(tmpdir(), 'cvrl-soak-'));
const data = join(work, 'data'), outside = join(work, 'outside');
mkdirSync(outside, { recursive: true });
const { classes } = await synthesizeDataset({ out: data, format: 'folder', classes: 4, videosPerClass: 8, frames: 24, size: 48, seed: 1 });
const good = join(data, classes[0], readdirSync(join(data, classes[0])).sort()[0]);
const bad = (name: string) => join(data, classes[0], name);

// Every kind of bad file; each must be reported once, by path, and never stop the run.
const expected: string[] = [];
const add = (p: string) => { expected.push(p); return p; };
writeFileSync(add(bad('zero.mp4')), '');
writeFileSync(add(bad('truncated.mp4')), readFileSync(good).subarray(0, 300));
writeFileSync(add(bad('text.mp4')), 'this is not a video\n'.repeat(20));
writeFileSync(add(bad('random.mp4')), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 131 + 7) & 255)));
writeFileSync(add(bad('playlist.mp4')), '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nhttp://127.0.0.1:1/x.ts\n#EXT-X-ENDLIST\n');
symlinkSync(join(outside, 'gone.mp4'), add(bad('broken-link.mp4')));
const wide = zeros([4, 8, 16384, 3], { dtype: 'uint8' });
try {
  await writeVideo(add(bad('huge-frame.mp4')), wide, { codec: 'h264' });  // 2048:1, refused at short side S*8/7
} finally {
  wide.dispose();
}
if (spawnSync('mkfifo', [join(outside, 'fifo')]).status === 0 && spawnSync('mkfifo', [bad('fifo.mp4')]).status === 0) {
  expected.push(bad('fifo.mp4'));
  symlinkSync(join(outside, 'fifo'), add(bad('fifo-link.mp4')));
}
if (spawnSync('ffmpeg', ['-v', 'quiet', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-f', 'wav', bad('audio.mp4')]).status === 0) expected.push(bad('audio.mp4'));
// A good video outside the data root, through a link: it must train like the others.
symlinkSync(good, bad('linked-good.mp4'));

const reported = new Map<string, string>();
const every = Math.max(1, Math.floor(steps / 20));
const samples: { step: number; rssMb: number; liveTensors: number }[] = [];
const config = resolveConfig({
  data, format: 'folder', out: join(work, 'run'), arch: 'r3d_18_tiny', size, frames: Number(values.frames), stride: 2, batch,
  steps, epochs: 1_000_000, threads: Number(values.threads), parallelism: 2, prefetch: 2, knnEvery: every, checkpointEvery: Math.max(50, every * 5), logEvery: every,
});
const rssBefore = mb();
const t0 = performance.now();
const r = await pretrain({
  config, quiet: true,
  onBadVideo: (p, reason) => reported.set(p, reason),
  // Called every `every` steps: resident memory along the run.
  monitor: async () => {
    samples.push({ step: Math.min(steps, (samples.length + 1) * every), rssMb: mb(), liveTensors: liveTensorCount() });
    return { rss_mb: mb() };
  },
});
const seconds = (performance.now() - t0) / 1000;
const first = samples[0], middle = samples[Math.floor((samples.length - 1) / 2)], last = samples[samples.length - 1];
// The first checkpoint's buffers raise the high-water mark once (jemalloc keeps freed pages here).
const afterCheckpoint = samples.find((x) => x.step > config.checkpointEvery);
const missing = expected.filter((p) => !reported.has(p));
const unexpected = [...reported.keys()].filter((p) => !expected.includes(p));
console.log(JSON.stringify({
  bench: 'soak',
  allocator: (process.env.LD_PRELOAD ?? '').includes('jemalloc') ? 'jemalloc' : 'glibc',
  config: { arch: config.arch, size, batch, frames: config.frames, threads: config.threads, videos: 32 + expected.length + 1 },
  steps: r.steps,
  finished: r.steps === steps && !r.interrupted,
  seconds: Math.round(seconds * 10) / 10,
  stepsPerSec: Math.round((r.steps / seconds) * 100) / 100,
  finalLoss: r.finalLoss,
  rssMb: { beforeRun: rssBefore, start: first?.rssMb, middle: middle?.rssMb, end: last?.rssMb, growthAfterStart: last && first ? Math.round((last.rssMb - first.rssMb) * 10) / 10 : null,
    firstCheckpointStep: config.checkpointEvery, growthAfterFirstCheckpoint: afterCheckpoint && last ? Math.round((last.rssMb - afterCheckpoint.rssMb) * 10) / 10 : null },
  liveTensors: { start: first?.liveTensors, end: last?.liveTensors },
  badFilesReported: reported.size,
  badFilesExpected: expected.length,
  missing,
  unexpected,
  reasons: Object.fromEntries([...reported].map(([p, reason]) => [p.slice(data.length + 1), reason])),
  samples,
}));
if (!values.keep) rmSync(work, { recursive: true, force: true });
if (missing.length || unexpected.length || r.steps !== steps) process.exitCode = 1;

