/**
 * The demo's pre-training in one process, in blocks that alternate (the child of
 * bench/pretrain-e2e.ts's paired case): steps fed by the loader, and the same steps on a batch
 * already in memory while the loader, its prefetch window full, has nothing to do; in each
 * precision asked for. This machine's speed drifts over seconds to minutes by more than the few
 * percent to resolve; blocks of a few seconds in rotating order put that drift on every arm alike.
 * Argument: JSON PairedSpec. Prints {"arms": [{"feed", "precision", "block_ms": [mean step ms per round]}], "wait_ms_per_step", "augment_on"}.
 */
import { resolveConfig } from '../src/train/config.js';
import { buildTraining } from '../src/train/pretrain-setup.js';
import { backwardStep, optimizerStep, pretrainLoaderBase, pseudoMotionWeight } from '../src/train/pretrain.js';
import { openDataset } from '../src/video/dataset.js';
import { VideoLoader } from '../src/video/loader.js';
import { VideoCache, frameCacheBytes } from '../src/video/video-cache.js';
import { Rng } from '../src/video/rng.js';
import { manualSeed, setNumThreads } from '../src/torch/runtime.js';
import { type Tensor } from '../src/torch/tensor.js';

export type Feed = 'loader' | 'memory';
export interface PairedSpec {
  config: string;
  /** A ucf101-layout folder (bench/pretrain-e2e.ts's demo set). */
  data: string;
  precisions: ('fp32' | 'bf16')[];
  threads: number;
  /** Untimed steps first: the first epoch decodes every video into the frame cache. */
  warmup: number;
  rounds: number;
  /** Timed steps per block. */
  blockSteps: number;
  /**
   * Untimed steps at the start of each block: a change of precision re-creates kernels, and at the
   * start of an in-memory block the loader still completes its prefetch window.
   */
  settle: number;
  /** The loader's augmentOn (default: the config's, 'auto'). */
  augmentOn?: 'workers' | 'step';
}

const s = JSON.parse(process.argv[2]) as PairedSpec;
const c = resolveConfig({ data: s.data, format: 'ucf101', annotations: `${s.data}/annotations`, split: 1, out: '-', threads: s.threads, ...(s.augmentOn ? { augmentOn: s.augmentOn } : {}) }, s.config);
setNumThreads(c.threads);
manualSeed(c.seed);
const dataset = openDataset({ data: c.data, format: 'ucf101', annotations: c.annotations, split: 1 });
const t = buildTraining(c, 1, dataset.items.length);
const cache = new VideoCache(frameCacheBytes(c.frameCacheMb));
const base = pretrainLoaderBase(c, dataset);

// As pretrain() reads: one loader across epochs. Nothing beyond its prefetch window is prepared while it is not pulled.
const source = new VideoLoader({ ...base, epochs: Infinity, onBadVideo: (p, r) => console.warn(`skipping ${p}: ${r}`) }, cache)[Symbol.asyncIterator]();
let held: Tensor[] = [];
let waitMs = 0, step = 0;

/** One optimiser step, as pretrain() takes it; ms from asking for the batch (loader) or from the step's start (memory). */
async function timedStep(feed: Feed, precision: 'fp32' | 'bf16', keep = false): Promise<number> {
  let views: Tensor[], copyMs = 0;
  const t0 = performance.now();
  if (feed === 'loader') {
    const { value: batch } = await source.next();
    waitMs += performance.now() - t0;
    views = batch.views;
    if (keep) { // the in-memory blocks' batch; copying it is not the step's work
      const tc = performance.now();
      held.forEach((v) => v.dispose());
      held = views.map((v) => v.clone());
      copyMs = performance.now() - tc;
    }
  } else views = held.map((v) => v.clone());
  const start = feed === 'loader' ? t0 : performance.now();
  const options = { ...c, bf16: precision === 'bf16', pseudoMotion: pseudoMotionWeight(c, step, t.totalSteps) };
  await backwardStep(t.model, views, options, Rng.from(c.seed, step++, 0xc0), undefined, {});
  await optimizerStep(t, undefined);
  return performance.now() - start - copyMs;
}

const arms = s.precisions.flatMap((precision) => (['loader', 'memory'] as const).map((feed) => ({ feed, precision, block_ms: [] as number[] })));
for (let i = 0; i < s.warmup; i++) await timedStep('loader', s.precisions[0], i === s.warmup - 1);
waitMs = 0;
for (let r = 0; r < s.rounds; r++) {
  for (let k = 0; k < arms.length; k++) {
    const arm = arms[(k + r) % arms.length]; // rotating order: no arm always follows another
    for (let i = 0; i < s.settle; i++) await timedStep(arm.feed, arm.precision);
    let sum = 0;
    for (let i = 0; i < s.blockSteps; i++) sum += await timedStep(arm.feed, arm.precision, i === s.blockSteps - 1);
    arm.block_ms.push(sum / s.blockSteps);
  }
}
held.forEach((v) => v.dispose());
const loaderSteps = arms.filter((a) => a.feed === 'loader').length * s.rounds * s.blockSteps;
console.log(JSON.stringify({ arms, wait_ms_per_step: waitMs / loaderSteps, augment_on: base.augmentOn }));
process.exit(0); // the loader's pending samples would otherwise keep the process alive
