/**
 * Fine-tuning (CVRL section 6): the whole network, with a dropout + linear head, trained on all or a
 * class-balanced fraction of the labels; from pre-trained weights, or from random weights with the
 * identical schedule (the supervised-from-scratch baseline). Tested with multi-view softmax averaging.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import { manualSeed, getNumThreads } from '../torch/runtime.js';
import { autocast } from '../torch/autograd.js';
import { type Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { FineTuneHead } from '../models/heads.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { saveSections, type ModelSpec } from '../models/checkpoint.js';
import { SGD } from '../optim/sgd.js';
import { weightDecayGroups } from '../optim/groups.js';
import { LrSchedule } from '../optim/schedule.js';
import { type VideoDataset } from '../video/dataset.js';
import { VideoLoader } from '../video/loader.js';
import { augmentOnFor } from '../video/loader-options.js';
import { VideoCache, frameCacheBytes } from '../video/video-cache.js';
import { multiViewTest } from './classify.js';
import { trainAugment, type SupervisedOptions, type SupervisedResult } from './supervised.js';
import { runEpochs, loaderBatches } from './epoch-loop.js';

export interface FinetuneOptions extends SupervisedOptions {
  warmupEpochs?: number;
  dropout?: number;
  /** Learning-rate multiplier of the encoder relative to the head (1: one rate for the whole network). */
  backboneLrMult?: number;
  bf16?: boolean;
}

export interface FinetuneResult extends SupervisedResult {
  model: VideoClassifier;
}

/** Encoder + fine-tuning head; state-dict sections "encoder." and "classifier.". */
export class VideoClassifier extends Module {
  readonly encoder: ResNet3d;
  readonly classifier: FineTuneHead;
  constructor(encoder: ResNet3d, classes: number, dropout: number) {
    super();
    this.encoder = this.registerModule('encoder', encoder);
    this.classifier = this.registerModule('classifier', new FineTuneHead(encoder.featureDim, classes, dropout));
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.encoder.forward(x));
  }
  save(file: string, spec: ModelSpec, classes: string[]): void {
    saveSections(file, { encoder: this.encoder, classifier: this.classifier }, { model: spec, classes });
  }
}

export async function finetune(encoder: ResNet3d, train: VideoDataset, test: VideoDataset, o: FinetuneOptions): Promise<FinetuneResult> {
  if (train.items.some((it) => it.label < 0)) throw new Error(`${train.root}: fine-tuning needs labelled training videos`);
  const epochs = o.epochs ?? 30, bs = o.batchSize ?? 8, lr = o.lr ?? 0.01, seed = o.seed ?? 0;
  const log = o.log ?? (() => undefined);
  manualSeed(seed);
  const model = new VideoClassifier(encoder, train.classes.length, o.dropout ?? 0.5).to(encoder.device);
  // The encoder may learn slower than the new head: a small label set easily wrecks pre-trained features.
  const wd = o.weightDecay ?? 1e-4, backboneMult = o.backboneLrMult ?? 1;
  const groups = [
    ...weightDecayGroups<{ lr: number }>(model.encoder.namedParameters(), wd).map((g) => ({ ...g, lrMult: backboneMult })),
    ...weightDecayGroups<{ lr: number }>(model.classifier.namedParameters(), wd).map((g) => ({ ...g, lrMult: 1 })),
  ];
  const opt = new SGD(groups.map(({ params, options }) => ({ params, options })), { lr, momentum: o.momentum ?? 0.9 });
  const setLr = (v: number) => opt.groups.forEach((g, i) => { g.options.lr = v * groups[i].lrMult; });
  // Small label subsets can hold fewer videos than a batch: keep the last partial batch.
  const stepsPerEpoch = Math.ceil(train.items.length / bs);
  const totalSteps = epochs * stepsPerEpoch;
  const schedule = new LrSchedule({ kind: 'warmup-cosine', lr, warmupSteps: Math.min(totalSteps, Math.round((o.warmupEpochs ?? 1) * stepsPerEpoch)), totalSteps });
  const cache = new VideoCache(frameCacheBytes(o.frameCacheMb));
  const clip = { frames: o.frames, stride: o.stride, size: o.size, decodeShortSide: o.decodeShortSide, parallelism: o.parallelism };
  const trainTop1 = await runEpochs({
    name: 'finetune', epochs, model, optimizer: opt, schedule, setLr, log, onEpoch: o.onEpoch,
    logits: (x) => (o.bf16 ? autocast(() => model.forward(x)) : model.forward(x)),
    batches: (epoch) => loaderBatches(new VideoLoader({ dataset: train, mode: 'train', batchSize: bs, ...clip, augment: trainAugment(o.size, o.cropAreaMin, o.flipProb), augmentOn: augmentOnFor('auto', encoder.device, getNumThreads()), seed, epoch, shuffle: true, dropLast: false }, cache)),
  });
  log(`finetune: testing ${test.items.length} videos x ${o.temporalViews ?? TEST_VIEWS.temporal} x ${o.spatialViews ?? TEST_VIEWS.spatial} views`);
  const result = await multiViewTest(encoder, model.classifier, test, { ...clip, temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial }, cache);
  return { ...result, trainTop1, trainVideos: train.items.length, model };
}
