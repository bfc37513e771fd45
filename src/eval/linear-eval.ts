/**
 * Linear evaluation (CVRL section 6): a frozen encoder, L2-normalised features, one linear layer
 * trained with SGD + cosine schedule and no weight decay, crop + flip augmentation of training clips
 * (or, with augmentation off, features computed once and reused every epoch), and multi-view
 * testing with softmax averaging.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { manualSeed, getNumThreads } from '../torch/runtime.js';
import { tensor } from '../torch/creation.js';
import { type Tensor } from '../torch/tensor.js';
import { LinearProbeHead } from '../models/heads.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { SGD } from '../optim/sgd.js';
import { LrSchedule } from '../optim/schedule.js';
import { type VideoDataset } from '../video/dataset.js';
import { VideoLoader } from '../video/loader.js';
import { augmentOnFor } from '../video/loader-options.js';
import { VideoCache, frameCacheBytes } from '../video/video-cache.js';
import { Rng } from '../video/rng.js';
import { videoFeatures, toTensor, type ExtractOptions } from './extract.js';
import { multiViewTest } from './classify.js';
import { trainAugment, type SupervisedOptions, type SupervisedResult } from './supervised.js';
import { runEpochs, loaderBatches, type LabelledBatch } from './epoch-loop.js';

export interface LinearEvalOptions extends SupervisedOptions {
  /** Crop + flip training clips every epoch (default); off: one set of cached features. */
  augment?: boolean;
  /** With augmentation off: evenly spaced clips per training video (each in the test's spatial crops), each a sample. */
  trainViews?: number;
}

export interface LinearEvalResult extends SupervisedResult {
  head: LinearProbeHead;
}

/** One epoch over cached features in a shuffled order; a last batch of one sample waits for the next epoch (BatchNorm cannot standardise it). */
function* cachedBatches(cached: { x: Tensor; y: Tensor }, bs: number, rng: Rng): Iterable<LabelledBatch> {
  const perm = rng.shuffle(Array.from({ length: cached.x.size(0) }, (_, i) => i));
  for (let b = 0; b + 1 < perm.length; b += bs) {
    const idx = tensor(perm.slice(b, b + bs), { dtype: 'int64' });
    yield { x: cached.x.indexSelect(0, idx), y: cached.y.indexSelect(0, idx) };
    idx.dispose();
  }
}

export async function linearEval(encoder: ResNet3d, train: VideoDataset, test: VideoDataset, o: LinearEvalOptions): Promise<LinearEvalResult> {
  const classes = train.classes.length;
  if (train.items.some((it) => it.label < 0)) throw new Error(`${train.root}: linear evaluation needs labelled training videos`);
  const epochs = o.epochs ?? 100, bs = o.batchSize ?? 32, lr = o.lr ?? 0.1, seed = o.seed ?? 0, augment = o.augment ?? true;
  const log = o.log ?? (() => undefined);
  manualSeed(seed);
  encoder.eval();
  const head = new LinearProbeHead(encoder.featureDim, classes).to(encoder.device);
  const opt = new SGD(head.parameters(), { lr, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
  const cache = new VideoCache(frameCacheBytes(o.frameCacheMb));
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
  const features = (clips: Tensor) => tidy(() => noGrad(() => encoder.forward(clips.to(encoder.device))));
  let trainTop1: number;
  try {
    trainTop1 = await runEpochs({
      name: 'linear-eval', epochs, model: head, optimizer: opt, schedule, log, onEpoch: o.onEpoch, logEvery: Math.max(1, Math.round(epochs / 10)),
      batches: (epoch) => cached ? cachedBatches(cached, bs, Rng.from(seed, epoch, 0x11ea))
        : loaderBatches(new VideoLoader({ dataset: train, mode: 'train', batchSize: bs, ...clip, augment: trainAugment(o.size, o.cropAreaMin, o.flipProb), augmentOn: augmentOnFor('auto', encoder.device, getNumThreads()), seed, epoch, shuffle: true, dropLast: false }, cache), features),
    });
  } finally {
    cached?.x.dispose();
    cached?.y.dispose();
  }
  log(`linear-eval: testing ${test.items.length} videos x ${o.temporalViews ?? TEST_VIEWS.temporal} x ${o.spatialViews ?? TEST_VIEWS.spatial} views`);
  const ev: ExtractOptions = { ...clip, temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial };
  const result = await multiViewTest(encoder, head, test, ev, cache);
  return { ...result, trainTop1, trainVideos: train.items.length, head };
}
