/**
 * `cvrl linear-eval` and `cvrl finetune` as library calls: for each requested split, open the
 * datasets and the encoder, train and test, then write metrics.json (per-split and mean scores,
 * per-class accuracy, confusion matrix), summary.md, per-epoch metrics.jsonl and TensorBoard events.
 */
import { resolveDevice } from '../torch/device.js';
import { join } from 'node:path';
import { openEncoder } from './encoder-source.js';
import { openSplit, splitsOf } from '../eval/eval-data.js';
import { linearEval, type LinearEvalOptions } from '../eval/linear-eval.js';
import { finetune, type FinetuneOptions } from '../eval/finetune.js';
import { labelFractionSubset } from '../eval/label-fraction.js';
import { classificationSummary, epochLog, meanScore, writeEvalOutput, type SplitScore } from './output.js';
import { type EvalJobOptions, jobHeader, resolveClip, startJob } from './job.js';
import { type ClassificationReport } from '../eval/metrics.js';
import { saveSections } from '../models/checkpoint.js';
import { type EpochRecord } from '../eval/supervised.js';
import { EvalEvents } from './events.js';

type TrainKnobs<T> = Omit<T, 'frames' | 'stride' | 'size' | 'decodeShortSide' | 'temporalViews' | 'spatialViews' | 'seed' | 'parallelism' | 'frameCacheMb' | 'onEpoch' | 'log'>;

interface LabelledJob extends EvalJobOptions {
  /** Fraction of the training labels, class-balanced (CVRL: 0.01, 0.1). */
  labelFraction?: number;
}

export interface LinearEvalJob extends LabelledJob {
  linear?: TrainKnobs<LinearEvalOptions>;
}

export interface FinetuneJob extends LabelledJob {
  finetune?: TrainKnobs<FinetuneOptions>;
}

export interface ClassificationMetrics extends ClassificationReport {
  command: string;
  classes: string[];
  top1: number;
  top5: number;
  trainTop1: number;
  splits: SplitScore[];
  [key: string]: unknown;
}

interface SplitRun extends ClassificationReport {
  trainTop1: number;
  trainVideos: number;
  videos: number;
  badVideos: number;
  classes: string[];
  header: Record<string, unknown>;
}

async function overSplits(
  command: string,
  o: EvalJobOptions,
  title: string,
  extra: Record<string, unknown>,
  runSplit: (split: number | undefined, onEpoch: (r: EpochRecord) => void) => Promise<SplitRun>,
): Promise<ClassificationMetrics> {
  resolveDevice(o.encoder.device ?? 'cpu'); // before any data is read
  startJob(o);
  const log = o.log ?? (() => undefined);
  const epochs = epochLog(o.out);
  const events = new EvalEvents(o.out, command, o.data.split === 'all', log);
  const splits: SplitScore[] = [];
  const perSplit: Record<string, unknown>[] = [];
  let last: SplitRun | null = null;
  try {
    for (const split of splitsOf(o.data)) {
      if (split !== undefined && o.data.split === 'all') log(`${command}: split ${split}`);
      last = await runSplit(split, (r) => {
        epochs.write({ ...(split !== undefined ? { split } : {}), ...r });
        events.epoch(split, r);
      });
      events.finish(split, last, { ...last.header, ...extra });
      splits.push({ split: split ?? null, top1: last.top1, top5: last.top5 });
      perSplit.push({ split: split ?? null, top1: last.top1, top5: last.top5, trainTop1: last.trainTop1, trainVideos: last.trainVideos, testVideos: last.videos, badVideos: last.badVideos });
    }
  } finally {
    events.close();
  }
  const r = last!;
  const mean = meanScore(splits);
  const metrics: ClassificationMetrics = {
    ...r.header, ...extra, command,
    classes: r.classes, top1: mean.top1, top5: mean.top5, trainTop1: r.trainTop1,
    perClass: r.perClass, confusion: r.confusion, splits, perSplit,
  };
  const summary = classificationSummary(title, splits, r, r.classes);
  writeEvalOutput(o.out, metrics, summary);
  log(`\n${summary}`);
  return metrics;
}

/** name.safetensors, or name-splitN.safetensors when every split is run. */
function perSplitName(name: string, split: number | undefined, o: EvalJobOptions): string {
  return o.data.split === 'all' && split !== undefined ? `${name}-split${split}.safetensors` : `${name}.safetensors`;
}

export async function runLinearEval(o: LinearEvalJob): Promise<ClassificationMetrics> {
  const fraction = o.labelFraction ?? 1;
  return overSplits('linear-eval', o, `Linear evaluation${ofLabels(fraction)}`, { labelFraction: fraction, linear: o.linear ?? {} }, async (split, onEpoch) => {
    const { train, test } = openSplit(o.data, split);
    const subset = labelFractionSubset(train, fraction, o.seed ?? 0);
    const src = openEncoder({ seed: o.seed, ...o.encoder });
    const clip = resolveClip(o, src);
    if (fraction < 1) o.log?.(`linear-eval: ${subset.items.length} of ${train.items.length} training videos`);
    const r = await linearEval(src.encoder, subset, test, {
      ...clip, ...o.linear, temporalViews: o.temporalViews, spatialViews: o.spatialViews, seed: o.seed, parallelism: o.parallelism, frameCacheMb: o.frameCacheMb, onEpoch, log: o.log,
    });
    saveSections(join(o.out, perSplitName('linear-head', split, o)), { classifier: r.head }, { model: src.spec, classes: train.classes });
    return { ...r, classes: train.classes, header: jobHeader('linear-eval', o, src, clip) };
  });
}

/** " (10% of the labels)" for a fraction below 1, else nothing. */
const ofLabels = (fraction: number) => (fraction < 1 ? ` (${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}% of the labels)` : '');

export async function runFinetune(o: FinetuneJob): Promise<ClassificationMetrics> {
  const fraction = o.labelFraction ?? 1;
  return overSplits('finetune', o, `Fine-tuning${ofLabels(fraction) || ' (100% of the labels)'}`, { labelFraction: fraction, finetune: o.finetune ?? {} }, async (split, onEpoch) => {
    const { train, test } = openSplit(o.data, split);
    const subset = labelFractionSubset(train, fraction, o.seed ?? 0);
    const src = openEncoder({ seed: o.seed, ...o.encoder });
    const clip = resolveClip(o, src);
    o.log?.(`finetune: ${subset.items.length} of ${train.items.length} training videos (${src.randomInit ? 'random init' : src.checkpoint})`);
    const r = await finetune(src.encoder, subset, test, {
      ...clip, ...o.finetune, temporalViews: o.temporalViews, spatialViews: o.spatialViews, seed: o.seed, parallelism: o.parallelism, frameCacheMb: o.frameCacheMb, onEpoch, log: o.log,
    });
    r.model.save(join(o.out, perSplitName('model', split, o)), src.spec, train.classes);
    return { ...r, classes: train.classes, header: jobHeader('finetune', o, src, clip) };
  });
}
