/**
 * The evaluation table of the demo and the recipe study: a pre-trained encoder against a random
 * encoder of the same architecture (linear probe, 10% fine-tuning) and supervised training from
 * scratch on all labels, each run as the evaluation commands would run it, in its own directory.
 */
import { join } from 'node:path';
import { runLinearEval, runFinetune, type ClassificationMetrics } from '../jobs/run-classification.js';
import { type EvalJobOptions } from '../jobs/job.js';
import { type EvalDataSpec } from '../eval/eval-data.js';

export interface BaselineOptions {
  /** Directory that receives one sub-directory per evaluation. */
  out: string;
  /** The pre-training run directory (its latest checkpoint and clip settings). */
  runDir: string;
  data: EvalDataSpec;
  seed: number;
  threads: number;
  parallelism: number;
  /** Flip probability of the training clips (0 when classes depend on left vs right). */
  flipProb: number;
  epochs?: { linear: number; finetune: number; supervised: number };
  /** Scores of the rows that do not depend on pre-training, from an earlier run on the same data and settings: not run again. */
  reuse?: RandomInitScores;
  log?: (line: string) => void;
}

/** Test top-1 (%) of each row; trainTop1 of the linear probes (frozen features, as trained). */
export interface BaselineScores {
  linearCvrl: number;
  linearRandom: number;
  finetuneCvrl: number;
  finetuneScratch: number;
  supervised: number;
  linearCvrlTrain: number;
  linearRandomTrain: number;
  linearCvrlTop5: number;
  linearRandomTop5: number;
}

/** The rows from random weights: the same for every recipe with the same data, architecture, clips and evaluation settings. */
export type RandomInitScores = Pick<BaselineScores, 'linearRandom' | 'finetuneScratch' | 'supervised' | 'linearRandomTrain' | 'linearRandomTop5'>;

export const BASELINE_DIRS = ['linear-cvrl', 'linear-random', 'finetune10-cvrl', 'finetune10-scratch', 'supervised'] as const;

const DEFAULT_EPOCHS = { linear: 100, finetune: 30, supervised: 8 };

/**
 * The scores, the random-init rows among them (to keep for `reuse`), and the metrics of each
 * evaluation run, in BASELINE_DIRS order (with `reuse`, the pre-trained encoder's two only).
 */
export async function runBaselines(o: BaselineOptions): Promise<{ scores: BaselineScores; randomRows: RandomInitScores; metrics: ClassificationMetrics[] }> {
  const log = o.log ?? (() => undefined);
  const epochs = o.epochs ?? DEFAULT_EPOCHS;
  const job = (name: string, encoder: EvalJobOptions['encoder']): EvalJobOptions => ({
    out: join(o.out, name), encoder: { seed: o.seed + 1, ...encoder }, data: o.data,
    temporalViews: 4, spatialViews: 3, parallelism: o.parallelism, threads: o.threads, seed: o.seed,
    log: (l) => log(`  ${l}`),
  });
  const cvrl = { checkpoint: o.runDir }, random = { checkpoint: o.runDir, randomInit: true };
  // Frozen features do not change between epochs: the probe caches them (4 clips per training video).
  const linear = { epochs: epochs.linear, batchSize: 64, augment: false, trainViews: 4 };
  // Gentle crops: small objects, and a tight crop can cut the motion out of the clip.
  const tune = { batchSize: 8, lr: 0.01, cropAreaMin: 0.6, flipProb: o.flipProb };
  log(`linear probe of the pre-trained encoder${o.reuse ? '' : ' and of a random encoder of the same architecture'}`);
  const linCvrl = await runLinearEval({ ...job(BASELINE_DIRS[0], cvrl), linear });
  const linRandom = o.reuse ? undefined : await runLinearEval({ ...job(BASELINE_DIRS[1], random), linear });
  log(`fine-tuning on 10% of the labels, from the pre-trained${o.reuse ? '' : ' and from random'} weights`);
  // Pre-trained weights learn at a tenth of the head's rate (at one rate, a few labelled videos
  // wreck the features); random weights have nothing to preserve.
  const ftCvrl = await runFinetune({ ...job(BASELINE_DIRS[2], cvrl), labelFraction: 0.1, finetune: { ...tune, backboneLrMult: 0.1, epochs: epochs.finetune } });
  const ftRandom = o.reuse ? undefined : await runFinetune({ ...job(BASELINE_DIRS[3], random), labelFraction: 0.1, finetune: { ...tune, epochs: epochs.finetune } });
  if (!o.reuse) log('supervised training from scratch on all labels');
  const supervised = o.reuse ? undefined : await runFinetune({ ...job(BASELINE_DIRS[4], random), labelFraction: 1, finetune: { ...tune, epochs: epochs.supervised } });
  const randomRows: RandomInitScores = o.reuse ?? {
    linearRandom: linRandom!.top1, finetuneScratch: ftRandom!.top1, supervised: supervised!.top1, linearRandomTrain: linRandom!.trainTop1, linearRandomTop5: linRandom!.top5,
  };
  return {
    scores: { linearCvrl: linCvrl.top1, finetuneCvrl: ftCvrl.top1, linearCvrlTrain: linCvrl.trainTop1, linearCvrlTop5: linCvrl.top5, ...randomRows },
    randomRows,
    metrics: [linCvrl, ...(o.reuse ? [ftCvrl] : [linRandom!, ftCvrl, ftRandom!, supervised!])],
  };
}
