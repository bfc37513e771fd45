/**
 * CPU per clip of the native augmentation (native/augment.cc) at the demo's settings (9 frames of
 * 55x73, its 160x120 videos at their decode size, to 48x48 with configs/cpu-small.yaml's views)
 * and the paper's (16 frames of 128x171 to 112x112, CVRL's two views), one clip at a time on one
 * worker thread, warm-up excluded; and a SHA-256 of every output, so that two builds can be checked
 * to compute the same bits. Prints one JSON object. Usage: npm run bench:augment -- [--clips 2000] [--reps 3]
 */
import { parseArgs } from 'node:util';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { fromTypedArray, setNumThreads, type Tensor } from '../src/torch/index.js';
import { Rng, cvrlViewConfigs, sampleClipParams, augmentClipAsync, type AugmentConfig } from '../src/video/index.js';
import { pretrainViews } from '../src/ssl/pretrain-views.js';
import { resolveConfig } from '../src/train/config.js';
import { median, round } from './stats.js';

const { values } = parseArgs({ options: { clips: { type: 'string', default: '2000' }, reps: { type: 'string', default: '3' } } });
const CLIPS = Number(values.clips), REPS = Number(values.reps);
if (!Number.isInteger(CLIPS) || CLIPS < 10) throw new RangeError(`--clips must be an integer >= 10, got ${values.clips}`);
if (!Number.isInteger(REPS) || REPS < 1) throw new RangeError(`--reps must be a positive integer, got ${values.reps}`);
setNumThreads(1);

function frames(T: number, H: number, W: number): Tensor {
  const r = Rng.from(T * H * W);
  return fromTypedArray(new Uint8Array(T * H * W * 3).map(() => Math.floor(r.next() * 256)), [T, H, W, 3]);
}

async function settings(name: string, shape: [number, number, number], views: AugmentConfig[], clips: number) {
  const [T, H, W] = shape;
  const x = frames(T, H, W);
  const rng = Rng.from(1);
  const params = Array.from({ length: clips }, (_, i) => sampleClipParams(views[i % 2], T, H, W, rng));
  const once = async (hash?: ReturnType<typeof createHash>) => {
    for (let i = 0; i < clips; i++) {
      const y = await augmentClipAsync(x, params[i], views[i % 2]);
      if (hash) hash.update(Buffer.from(y.toTypedArray().buffer));
      y.dispose();
    }
  };
  const hash = createHash('sha256');
  await once(hash); // warm-up, and the digest
  const ms: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    await once();
    const c = process.cpuUsage(c0);
    ms.push((c.user + c.system) / 1000 / clips);
  }
  x.dispose();
  return { name, clips, cpu_ms_per_clip: round(median(ms), 4), runs: ms.map((m) => round(m, 4)), sha256: hash.digest('hex') };
}

const demo = pretrainViews(resolveConfig({ data: '-', format: 'folder', out: '-' }, join(dirname(fileURLToPath(import.meta.url)), '..', 'configs', 'cpu-small.yaml')));
const cases = [
  await settings('demo: 9x55x73 -> 48x48, cpu-small.yaml views', [9, 55, 73], demo, CLIPS),
  await settings("paper: 16x128x171 -> 112x112, CVRL's views", [16, 128, 171], cvrlViewConfigs(112), Math.max(10, Math.round(CLIPS / 10))),
];
console.log(JSON.stringify({ cases }, null, 1));
