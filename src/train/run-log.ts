/**
 * What a pre-training run reports per optimiser step: metrics.jsonl, TensorBoard scalars, the
 * progress line, the collapse and slow-loader warnings, and the online monitor's values; rank 0
 * only. Throughput and data-wait share are measured here from the time the loop reports.
 */
import { join } from 'node:path';
import { EventWriter, type HParamValue } from '../formats/tensorboard.js';
import { Progress } from './progress.js';
import { CollapseWatch } from './collapse-watch.js';
import { LoaderWatch } from './loader-watch.js';
import { DiskFullPolicy, MetricsLog } from './disk-full.js';
import { trimMetrics } from './run-files.js';

export interface StepReport {
  step: number;
  epoch: number;
  loss: number;
  /** The loss's terms, unweighted (ntxent, decorrelation, pseudo_motion): metrics.jsonl's loss_<term>. */
  parts?: Record<string, number>;
  lr: number;
  badVideos: number;
  /** Extra values (an online kNN accuracy) for metrics.jsonl and TensorBoard's eval/ section. */
  extra?: Record<string, number>;
}

export class RunLog {
  readonly total: number;
  readonly progress: Progress;
  readonly disk: DiskFullPolicy;
  readonly #metrics: MetricsLog | null;
  readonly #tb: EventWriter | null;
  readonly #watch: CollapseWatch;
  readonly #loaderWatch: LoaderWatch | null;
  readonly #quiet: boolean;
  readonly #t0 = performance.now();
  readonly #startStep: number;
  #clips = 0;
  #waitMs = 0;
  #computeMs = 0;

  /**
   * hparams: the run's configuration for TensorBoard's HPARAMS tab (written once per event file).
   * loaderAdvice: what to try when the loader sets the pace (no check without it).
   */
  constructor(o: { runDir: string; main: boolean; quiet: boolean; logEvery: number; resumedAt: number; resumed: boolean; chanceLoss: number; totalSteps: number; hparams?: Record<string, HParamValue>; loaderAdvice?: string }) {
    this.#quiet = o.quiet;
    this.#startStep = o.resumedAt;
    this.total = o.totalSteps;
    this.progress = new Progress(process.stderr, o.logEvery, o.quiet || !o.main);
    // A full disk costs logs or a checkpoint, not the run (README: "Full disk").
    this.disk = new DiskFullPolicy((m) => this.warn(m));
    const metricsFile = join(o.runDir, 'metrics.jsonl');
    if (o.main) trimMetrics(metricsFile, o.resumedAt);
    this.#metrics = o.main ? new MetricsLog(metricsFile, this.disk) : null;
    // Like PyTorch's purge_step: TensorBoard hides the crashed attempt's events from this step on.
    this.#tb = o.main ? new EventWriter(o.runDir, o.resumed ? { purgeStep: o.resumedAt + 1 } : {}) : null;
    this.#watch = new CollapseWatch(o.chanceLoss);
    this.#loaderWatch = o.main && o.loaderAdvice ? new LoaderWatch(o.loaderAdvice) : null;
    if (o.hparams) this.#tbWrite((w) => w.hparams(o.hparams!));
  }

  warn(message: string): void {
    this.progress.message(message);
    if (this.#quiet) console.warn(`cvrl: ${message}`);
  }

  /** Time spent waiting for a batch, and computing one (clips: clips in the global batch). */
  waited(ms: number): void {
    this.#waitMs += ms;
  }
  computed(ms: number, clips: number): void {
    this.#computeMs += ms;
    this.#clips += clips;
  }

  get clipsPerSec(): number {
    return this.#clips / ((performance.now() - this.#t0) / 1000);
  }

  step(r: StepReport): void {
    const elapsed = (performance.now() - this.#t0) / 1000;
    const rate = this.#clips / elapsed;
    const wait = this.#waitMs / (this.#waitMs + this.#computeMs);
    const parts = Object.fromEntries(Object.entries(r.parts ?? {}).map(([k, v]) => [`loss_${k}`, v]));
    const m = { step: r.step, epoch: r.epoch, loss: r.loss, ...parts, lr: r.lr, clips_per_s: rate, data_wait_share: wait, data_wait_s: this.#waitMs / 1000, compute_s: this.#computeMs / 1000, bad_videos: r.badVideos, time: elapsed, ...r.extra };
    if (r.extra) this.#tbWrite((w) => w.scalars(r.step, Object.fromEntries(Object.entries(r.extra!).map(([k, v]) => [`eval/${k}`, v]))));
    this.#metrics?.append(m);
    this.#tbWrite((w) => w.scalars(r.step, { 'train/loss': r.loss, ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [`train/${k}`, v])), 'train/lr': r.lr, 'train/clips_per_s': rate, 'train/data_wait_share': wait }));
    // Chance is NT-Xent's: the auxiliary terms would hide a collapse or fake one.
    const collapsed = this.#metrics ? this.#watch.update(r.step, r.parts?.ntxent ?? r.loss) : null;
    if (collapsed) this.warn(collapsed);
    const slow = this.#loaderWatch?.update(r.step, r.epoch, this.#waitMs, this.#computeMs);
    if (slow) this.warn(slow);
    const done = r.step - this.#startStep;
    this.progress.update({ step: r.step, total: this.total, epoch: r.epoch, loss: r.loss, lr: r.lr, clipsPerSec: rate, dataWaitShare: wait, etaSec: ((this.total - r.step) * elapsed) / Math.max(1, done) });
  }

  close(): void {
    this.#tbWrite((w) => w.close());
    this.progress.done();
  }

  #tbWrite(f: (w: EventWriter) => void): void {
    const tb = this.#tb;
    if (tb) this.disk.attempt('tensorboard', () => f(tb), `TensorBoard events (${tb.file}) not written; training continues`);
  }
}
