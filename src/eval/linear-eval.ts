/**
 * Linear evaluation (CVRL section 6): a frozen encoder, L2-normalised features, one linear layer
 * trained with SGD + cosine schedule and no weight decay, crop + flip augmentation of training clips
 * (or, with augmentation off, features computed once and reused every epoch), and multi-view
 * testing with softmax averaging.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { manualSeed } from '../torch/runtime.js';
import { tensor } from '../torch/creation.js';
import { type Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { LinearProbeHead } from '../models/heads.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { SGD } from '../optim/sgd.js';
import { LrSchedule } from '../optim/schedule.js';
import { type VideoDataset } from '../video/dataset.js';
import { VideoLoader, VideoCache } from '../video/loader.js';
import { Rng } from '../video/rng.js';
import { videoFeatures, toTensor, type ExtractOptions } from './extract.js';
import { multiViewTest } from './classify.js';
import { trainAugment, type EpochRecord, type SupervisedOptions, type SupervisedResult } from './supervised.js';

export interface LinearEvalOptions extends SupervisedOptions {
  /** Crop + flip training clips every epoch (default); off: one set of cached features. */
  augment?: boolean;
  /** With augmentation off: evenly spaced clips per training video (each in the test's spatial crops), each a sample. */
  trainViews?: number;
}

export interface LinearEvalResult extends SupervisedResult {
  head: LinearProbeHead;
}

interface Step {
  loss: number;
  correct: number;
  n: number;
}

function trainStep(head: LinearProbeHead, opt: SGD, feats: Tensor, labels: Tensor): Step {
  return tidy(() => {
    const logits = head.forward(feats);
    const loss = F.crossEntropy(logits, labels);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    const pred = logits.argmax(1).toArray();
    const y = labels.toArray();
    return { loss: loss.item(), correct: pred.filter((p, i) => p === y[i]).length, n: y.length };
  });
}

export async function linearEval(encoder: ResNet3d, train: VideoDataset, test: VideoDataset, o: LinearEvalOptions): Promise<LinearEvalResult> {
  const classes = train.classes.length;
  if (train.items.some((it) => it.label < 0)) throw new Error(`${train.root}: linear evaluation needs labelled training videos`);
  const epochs = o.epochs ?? 100, bs = o.batchSize ?? 32, lr = o.lr ?? 0.1, seed = o.seed ?? 0, augment = o.augment ?? true;
  const log = o.log ?? (() => undefined);
  manualSeed(seed);
  encoder.eval();
  const head = new LinearProbeHead(encoder.featureDim, classes);
  const opt = new SGD(head.parameters(), { lr, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
  const cache = new VideoCache();
  const clip = { frames: o.frames, stride: o.stride, size: o.size, decodeShortSide: o.decodeShortSide, parallelism: o.parallelism };

  // Without augmentation the features never change: compute them once.
  let cached: { x: Tensor; y: Tensor } | null = null;
  if (!augment) {
    const rows: Float32Array[] = [], labels: number[] = [];
    for await (const v of videoFeatures(encoder, train, { ...clip, temporalViews: o.trainViews ?? 1, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial }, cache)) {
      for (let r = 0; r < v.views; r++) {
        rows.push(v.data.subarray(r * v.dim, (r + 1) * v.dim));
        labels.push(v.label);
      }
    }
    cached = { x: toTensor(rows), y: tensor(labels, { dtype: 'int64' }) };
    log(`linear-eval: cached ${rows.length} training features`);
  }
  const stepsPerEpoch = Math.ceil((cached ? cached.x.size(0) : train.items.length) / bs);
  const schedule = new LrSchedule({ kind: 'warmup-cosine', lr, warmupSteps: 0, totalSteps: epochs * stepsPerEpoch });
  let trainTop1 = NaN, step = 0;
  const t0 = performance.now();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      head.train();
      const acc: Step = { loss: 0, correct: 0, n: 0 };
      const add = (s: Step) => { acc.loss += s.loss * s.n; acc.correct += s.correct; acc.n += s.n; step++; };
      if (cached) {
        const perm = Rng.from(seed, epoch, 0x11ea).shuffle(Array.from({ length: cached.x.size(0) }, (_, i) => i));
        // BatchNorm cannot standardise a batch of one: a last batch of one sample waits for the next epoch.
        for (let b = 0; b + 1 < perm.length; b += bs) {
          opt.setLr(schedule.lr);
          const idx = tensor(perm.slice(b, b + bs), { dtype: 'int64' });
          const x = cached.x.indexSelect(0, idx), y = cached.y.indexSelect(0, idx);
          add(trainStep(head, opt, x, y));
          [idx, x, y].forEach((t) => t.dispose());
          schedule.step();
        }
      } else {
        const loader = new VideoLoader({ dataset: train, mode: 'train', batchSize: bs, ...clip, augment: trainAugment(o.size, o.cropAreaMin, o.flipProb), seed, epoch, shuffle: true, dropLast: false }, cache);
        for await (const batch of loader) {
          if (batch.labels.length < 2) {
            batch.views[0].dispose();
            continue;
          }
          opt.setLr(schedule.lr);
          const x = tidy(() => noGrad(() => encoder.forward(batch.views[0])));
          batch.views[0].dispose();
          const y = tensor(batch.labels, { dtype: 'int64' });
          add(trainStep(head, opt, x, y));
          x.dispose();
          y.dispose();
          schedule.step();
        }
      }
      trainTop1 = (100 * acc.correct) / acc.n;
      const rec: EpochRecord = { epoch: epoch + 1, step, loss: acc.loss / acc.n, lr: schedule.lr, train_top1: trainTop1, seconds: (performance.now() - t0) / 1000 };
      o.onEpoch?.(rec);
      if (epoch === epochs - 1 || (epoch + 1) % Math.max(1, Math.round(epochs / 10)) === 0) {
        log(`linear-eval: epoch ${rec.epoch}/${epochs} loss ${rec.loss.toFixed(4)} train top-1 ${trainTop1.toFixed(1)} (${rec.seconds.toFixed(0)} s)`);
      }
    }
  } finally {
    cached?.x.dispose();
    cached?.y.dispose();
  }
  log(`linear-eval: testing ${test.items.length} videos x ${o.temporalViews ?? TEST_VIEWS.temporal} x ${o.spatialViews ?? TEST_VIEWS.spatial} views`);
  const ev: ExtractOptions = { ...clip, temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial };
  const result = await multiViewTest(encoder, head, test, ev, cache);
  return { ...result, trainTop1, trainVideos: train.items.length, head };
}
