/**
 * The data loader: an async iterator of ready batches. Decoding runs on native worker threads with
 * bounded parallelism and a bounded prefetch window; the order is a pure function of (seed, epoch,
 * rank, world size), and each sample's randomness depends only on its own position, so results do
 * not depend on scheduling. Unreadable videos are skipped, replaced by another sample, logged once
 * and counted; they never crash the run and never become blank clips.
 */
import { Tensor } from '../torch/tensor.js';
import { type LoaderOptions, type Batch, type LoaderStats } from './loader-options.js';
import { probeVideo, decodeClips } from './io.js';
import { BadVideo, readable } from './bad-video.js';
import { VideoCache } from './video-cache.js';
import { Rng } from './rng.js';
import { Semaphore } from '../util/semaphore.js';
import { settleAll } from '../util/settle-all.js';
import { pretrainStarts, sampleRandomClip, uniformClipStarts, TEST_VIEWS } from './samplers.js';
import { type AugmentConfig, cvrlViewConfigs, cropFlipConfig, sampleClipParams, validateAugment } from './augment-params.js';
import { augmentClipAsync, augmentClipsNow, evalCropsAsync, KINETICS_NORM, type AugmentJob } from './augment.js';
import { BatchRows } from './batch-rows.js';

export { VideoCache };

export type { LoaderMode, LoaderOptions, Batch, LoaderStats } from './loader-options.js';

interface Sample {
  clips: Tensor[];
  /** augmentOn 'step': the clips' augmentation, run when the batch is taken; `hold` is what their frames need kept. */
  jobs: AugmentJob[];
  hold: Tensor[];
  label: number;
  index: number;
}

/** Frees what a sample still holds (its jobs' rows and frames are views: the batch and the frames stay with their owners). */
function release(s: Sample): void {
  s.clips.forEach((c) => c.dispose());
  s.jobs.forEach((j) => j.out.dispose());
  s.hold.forEach((t) => t.dispose());
}

export class VideoLoader implements AsyncIterable<Batch> {
  readonly o: Required<Omit<LoaderOptions, 'augment' | 'onBadVideo' | 'gapPower' | 'groups' | 'timeoutMs'>> & Pick<LoaderOptions, 'gapPower' | 'groups' | 'timeoutMs'>;
  readonly views: AugmentConfig[];
  readonly stats: LoaderStats = { samples: 0, badVideos: 0, retriedDecodes: 0, dataWaitMs: 0 };
  readonly #onBad: (path: string, reason: string) => void;
  readonly #cache: VideoCache;
  /** This rank's positions per epoch, computed when the epoch's first sample is scheduled. */
  readonly #orders = new Map<number, number[]>();

  constructor(opts: LoaderOptions, cache = new VideoCache()) {
    const training = opts.mode !== 'eval';
    this.o = {
      decodeShortSide: Math.round((opts.size * 8) / 7), clipsPerVideo: 2, gapLaw: 'cvrl', temporalViews: TEST_VIEWS.temporal, spatialViews: TEST_VIEWS.spatial,
      normalization: KINETICS_NORM, seed: 0, epoch: 0, epochs: 1, shuffle: training, dropLast: training, parallelism: 4, prefetch: 2,
      startBatch: 0, rank: 0, worldSize: 1, maxBadRetries: 20, augmentOn: 'workers',
      ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    } as VideoLoader['o'];
    const o = this.o;
    if (!Number.isInteger(o.clipsPerVideo) || o.clipsPerVideo < 2) throw new RangeError(`loader: clipsPerVideo must be an integer >= 2, got ${o.clipsPerVideo}`);
    for (const [k, v] of Object.entries({ batchSize: o.batchSize, frames: o.frames, stride: o.stride, size: o.size, parallelism: o.parallelism, worldSize: o.worldSize, decodeShortSide: o.decodeShortSide, temporalViews: o.temporalViews })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`loader: ${k} must be a positive integer, got ${v}`);
    }
    if (o.augmentOn !== 'workers' && o.augmentOn !== 'step') throw new RangeError(`loader: augmentOn must be 'workers' or 'step', got ${String(o.augmentOn)}`);
    if (o.epochs !== Infinity && (!Number.isInteger(o.epochs) || o.epochs < 1)) throw new RangeError(`loader: epochs must be a positive integer or Infinity, got ${o.epochs}`);
    if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) throw new RangeError(`loader: rank must be in [0, ${o.worldSize}), got ${o.rank}`);
    if (o.dataset.items.length === 0) throw new RangeError(`loader: dataset ${o.dataset.root} has no videos`);
    if (opts.groups && opts.groups.length !== o.dataset.items.length) throw new RangeError(`loader: groups has ${opts.groups.length} entries for ${o.dataset.items.length} videos`);
    const aug = opts.augment;
    this.views = o.mode === 'pretrain'
      ? (Array.isArray(aug) ? aug : cvrlViewConfigs(o.size, aug ? { ...aug } : {}))
      : [Array.isArray(aug) ? aug[0] : aug ?? cropFlipConfig(o.size)];
    this.views.forEach(validateAugment);
    this.#onBad = opts.onBadVideo ?? ((p, r) => console.warn(`cvrl: skipping unreadable video ${p}: ${r}`));
    this.#cache = cache;
  }

  /** This rank's dataset positions in an epoch: a seeded permutation, padded so that every rank gets as many. */
  #positions(epoch: number): number[] {
    const known = this.#orders.get(epoch);
    if (known) return known;
    const n = this.o.dataset.items.length, W = this.o.worldSize;
    const rng = Rng.from(this.o.seed, epoch, 0x5eed);
    const groups = this.o.groups;
    let perm = Array.from({ length: n }, (_, i) => i);
    if (this.o.shuffle && groups) {
      const members = new Map<number, number[]>();
      for (const i of perm) {
        if (!members.has(groups[i])) members.set(groups[i], []);
        members.get(groups[i])!.push(i);
      }
      perm = rng.shuffle([...members.values()]).flatMap((m) => rng.shuffle(m));
    } else if (this.o.shuffle) rng.shuffle(perm);
    const padded = Math.ceil(n / W) * W;
    for (let i = n; i < padded; i++) perm.push(perm[i - n]);
    const mine = perm.filter((_, i) => i % W === this.o.rank);
    this.#orders.set(epoch, mine);
    return mine;
  }

  /** Dataset indices in this rank's order for the (first) epoch, before unreadable videos are replaced. */
  get order(): readonly number[] {
    return this.#positions(this.o.epoch);
  }

  /** Videos per epoch for this rank (the order is padded so that every rank gets as many). */
  get #perRank(): number {
    return Math.ceil(this.o.dataset.items.length / this.o.worldSize);
  }

  /** Batches per epoch for this rank. */
  get length(): number {
    const n = this.#perRank, b = this.o.batchSize;
    return this.o.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  async #frameCount(path: string): Promise<number> {
    const known = this.#cache.frames.get(path);
    if (known !== undefined) return known;
    const info = await readable(probeVideo(path, { timeoutMs: this.o.timeoutMs }), this.o.timeoutMs);
    if (info.frames < 1) throw new BadVideo('no decodable frames');
    this.#cache.frames.set(path, info.frames);
    this.#cache.sizes.set(path, [info.width, info.height]);
    return info.frames;
  }

  /** `out`: where each clip goes (rows of the batch, see BatchRows); eval: one [views, 3, T, S, S] for all of them. */
  async #decodeSample(index: number, rng: Rng, out?: Tensor[]): Promise<Sample> {
    const o = this.o;
    const item = o.dataset.items[index];
    const L = await this.#frameCount(item.path);
    const clip = { frames: o.frames, stride: o.stride };
    const starts = o.mode === 'pretrain' ? pretrainStarts(L, { ...clip, law: o.gapLaw, power: o.gapPower }, o.clipsPerVideo, rng)
      : o.mode === 'train' ? [sampleRandomClip(L, clip, rng)]
        : uniformClipStarts(L, clip, o.temporalViews);
    const decode = (d: { starts: number[]; frames: number; stride: number }) => readable(decodeClips(item.path, { ...d, size: { shortSide: o.decodeShortSide }, timeoutMs: o.timeoutMs }), o.timeoutMs, (late) => late.frames.dispose());
    const cached = o.mode === 'eval' ? null : await this.#cache.decoded.clips(item.path, { starts, ...clip, frameCount: L, size: this.#cache.sizes.get(item.path), shortSide: o.decodeShortSide },
      async () => (await decode({ starts: [0], frames: L, stride: 1 })).frames);
    const decoded = cached ? null : await decode({ starts, ...clip });
    if (decoded?.retried) this.stats.retriedDecodes++;
    // One uint8 [T, H, W, 3] per start: views of the cached video, or of this decode's frames.
    const perStart = cached ?? starts.map((_, v) => decoded!.frames.select(0, v));
    let handedOver = false;
    try {
      const [T, H, W] = perStart[0].shape;
      const clips: Tensor[] = [];
      if (o.mode === 'eval') {
        // Start v's crops are views v * spatialViews onwards: the order of concatenating each start's evalCrops.
        const crops = perStart.map((f, v) => {
          const dst = out![0].narrow(0, v * o.spatialViews, o.spatialViews);
          return evalCropsAsync(f, o.size, o.spatialViews, o.normalization, dst).finally(() => dst.dispose());
        });
        await settleAll(crops, () => undefined);
      } else {
        // Parameters are drawn here, in order, from the sample's generator; the ops run on worker
        // threads, or (augmentOn 'step') with the whole batch when the consumer takes it.
        const drawn = perStart.map((frames, v) => {
          const config = this.views[v % this.views.length];
          return { frames, params: sampleClipParams(config, T, H, W, rng), config };
        });
        if (o.augmentOn === 'step' && out) {
          handedOver = true;
          return { clips, jobs: drawn.map((d, v) => ({ ...d, out: out[v] })), hold: decoded ? [...perStart, decoded.frames] : perStart, label: item.label, index };
        }
        clips.push(...await settleAll(drawn.map((d, v) => augmentClipAsync(d.frames, d.params, d.config, o.normalization, out?.[v])), (t) => t.dispose()));
      }
      return { clips, jobs: [], hold: [], label: item.label, index };
    } finally {
      if (!handedOver) {
        perStart.forEach((f) => f.dispose());
        decoded?.frames.dispose();
      }
    }
  }

  /** Slot `pos` of an epoch, written to row `row` of batch `batch`: the scheduled video, or replacements while videos turn out unreadable. */
  async #sample(epoch: number, pos: number, sem: Semaphore, rows: BatchRows, batch: number, row: number): Promise<Sample> {
    let index = this.#positions(epoch)[pos];
    for (let attempt = 0; ; attempt++) {
      const path = this.o.dataset.items[index].path;
      if (!this.#cache.bad.has(path)) {
        const rng = Rng.from(this.o.seed, epoch, this.o.rank, pos, attempt);
        const out = rows.row(batch, row);
        let rowsHandedOver = false;
        try {
          const s = await sem.run(() => this.#decodeSample(index, rng, out));
          this.stats.samples++;
          rowsHandedOver = s.jobs.length > 0;
          return s;
        } catch (e) {
          if (!(e instanceof BadVideo)) throw e;
          const reason = e.message.replace(`${path}: `, '');
          // Another slot may have found the same file bad meanwhile: report it once.
          if (!this.#cache.bad.has(path)) {
            this.#cache.bad.set(path, reason);
            this.stats.badVideos++;
            this.#onBad(path, reason);
          }
        } finally {
          if (!rowsHandedOver) out.forEach((t) => t.dispose());
        }
      }
      if (attempt >= this.o.maxBadRetries || this.#cache.bad.size >= this.o.dataset.items.length) {
        throw new Error(`loader: gave up after ${attempt + 1} unreadable videos in a row (last: ${path}: ${this.#cache.bad.get(path)}); check the dataset`);
      }
      index = Rng.from(this.o.seed, epoch, this.o.rank, pos, attempt, 0xbad).int(this.o.dataset.items.length);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const o = this.o, bs = o.batchSize, perEpoch = this.length;
    if (perEpoch === 0) return;
    // Batches are numbered across epochs: g is batch g % perEpoch of epoch o.epoch + floor(g / perEpoch).
    const end = o.epochs * perEpoch;
    const total = Math.min(this.#perRank, perEpoch * bs);
    const rowsOf = (g: number) => Math.min(bs, total - (g % perEpoch) * bs);
    const epochOf = (g: number) => o.epoch + Math.floor(g / perEpoch);
    const sem = new Semaphore(o.parallelism);
    const pending = new Map<number, Promise<Sample>>(); // by g * bs + row
    // One [3, T, S, S] per clip of a video, S from the clip's view config; eval: all views of a video in one.
    const viewsPerVideo = o.mode === 'eval' ? o.temporalViews * o.spatialViews : 1;
    const clipShapes = o.mode === 'eval' ? [[viewsPerVideo, 3, o.frames, o.size, o.size]]
      : Array.from({ length: o.mode === 'pretrain' ? o.clipsPerVideo : 1 }, (_, v) => {
        const S = this.views[v % this.views.length].size;
        return [3, o.frames, S, S];
      });
    const rows = new BatchRows(rowsOf, clipShapes);
    let next = o.startBatch; // the first batch not yet scheduled
    const fill = (g: number) => {
      for (; next < Math.min(end, g + 1 + o.prefetch); next++) {
        const first = (next % perEpoch) * bs;
        for (let k = 0; k < rowsOf(next); k++) {
          const p = this.#sample(epochOf(next), first + k, sem, rows, next, k);
          p.catch(() => undefined);
          pending.set(next * bs + k, p);
        }
      }
    };
    try {
      for (let g = o.startBatch; g < end; g++) {
        fill(g);
        const t0 = performance.now();
        const ids = Array.from({ length: rowsOf(g) }, (_, k) => g * bs + k);
        const samples = await Promise.all(ids.map((i) => pending.get(i)!));
        ids.forEach((i) => pending.delete(i));
        try {
          const jobs = samples.flatMap((s) => s.jobs);
          if (jobs.length > 0) augmentClipsNow(jobs, o.normalization);
        } finally {
          samples.forEach(release);
        }
        this.stats.dataWaitMs += performance.now() - t0;
        const views = rows.take(g);
        const epoch = epochOf(g);
        for (const e of this.#orders.keys()) if (e < epoch) this.#orders.delete(e);
        const batch: Batch = {
          views: o.mode === 'eval' ? [views[0].flatten(0, 1)] : views,
          labels: samples.map((s) => s.label),
          indices: samples.map((s) => s.index),
          viewsPerVideo, epoch, batchInEpoch: g % perEpoch,
        };
        if (o.mode === 'eval') views[0].dispose();
        fill(g + 1);
        yield batch;
      }
    } finally {
      // The consumer stopped early or an error escaped: free whatever is still being prepared.
      for (const p of pending.values()) p.then(release, () => undefined);
      rows.dispose();
    }
  }
}
