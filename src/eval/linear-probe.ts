/**
 * Linear probe on cached features (augmentation off): standardised, L2-normalised features, one linear layer,
 * SGD with momentum and a cosine schedule, no weight decay by default, full-batch steps.
 */
import { tidy } from '../torch/scope.js';
import { noGrad } from '../torch/autograd.js';
import { manualSeed } from '../torch/runtime.js';
import { fromTypedArray } from '../torch/creation.js';
import * as F from '../torch/functional.js';
import { LinearClassifier } from '../models/heads.js';
import { SGD } from '../optim/sgd.js';
import { LrSchedule } from '../optim/schedule.js';
import { toTensor, type Embeddings } from './extract.js';
import { classificationReport, type ClassificationReport } from './metrics.js';

export interface ProbeOptions {
  epochs?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  seed?: number;
}

export interface ProbeResult extends ClassificationReport {
  classifier: LinearClassifier;
  trainTop1: number;
}

export function linearProbeOnFeatures(train: Embeddings, test: Embeddings, classes: number, o: ProbeOptions = {}): ProbeResult {
  if (train.features.length === 0) throw new Error('linear probe: no training features');
  if (train.labels.some((l) => l < 0 || l >= classes)) throw new Error('linear probe: training videos must be labelled 0..classes-1');
  manualSeed(o.seed ?? 0);
  const epochs = o.epochs ?? 300;
  const clf = new LinearClassifier(train.features[0].length, classes);
  const opt = new SGD(clf.parameters(), { lr: o.lr ?? 2, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
  const sched = new LrSchedule({ kind: 'warmup-cosine', lr: o.lr ?? 2, warmupSteps: 0, totalSteps: epochs });
  // Standardise each dimension with the training statistics, then L2-normalise: raw ReLU features
  // share a large common component that would leave normalised vectors nearly parallel.
  const stats = tidy(() => {
    const t = toTensor(train.features);
    return { mean: t.mean(0, true), std: t.std(0, { keepdim: true, unbiased: false }).add(1e-6) };
  });
  stats.mean.keep();
  stats.std.keep();
  const prep = (rows: readonly (readonly number[])[]) => F.normalize(toTensor(rows).sub(stats.mean).div(stats.std), { dim: 1 });
  const x = tidy(() => prep(train.features)).keep();
  const y = fromTypedArray(BigInt64Array.from(train.labels.map(BigInt))).keep();
  for (let e = 0; e < epochs; e++) {
    tidy(() => {
      const loss = F.crossEntropy(clf.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.setLr(sched.lr);
      opt.step();
      sched.step();
    });
  }
  const scores = (rows: readonly (readonly number[])[]): number[][] => tidy(() => noGrad(() => {
    if (rows.length === 0) return [];
    const p = F.softmax(clf.forward(prep(rows)), 1);
    const flat = p.toArray();
    return rows.map((_, i) => flat.slice(i * classes, (i + 1) * classes));
  }));
  const trainReport = classificationReport(scores(train.features), train.labels, classes);
  const testReport = classificationReport(scores(test.features), test.labels, classes);
  x.dispose();
  y.dispose();
  stats.mean.dispose();
  stats.std.dispose();
  return { ...testReport, classifier: clf, trainTop1: trainReport.top1 };
}
