/**
 * Training the action detector on AVA keyframes: sigmoid cross entropy per (box, class), SGD with
 * momentum and a warm-up + cosine schedule (as SlowFast trains its AVA heads), the whole network or,
 * with a frozen encoder, the head alone.
 */
import { tidy } from '../../torch/scope.js';
import { manualSeed } from '../../torch/runtime.js';
import { SGD } from '../../optim/sgd.js';
import { weightDecayGroups } from '../../optim/groups.js';
import { LrSchedule } from '../../optim/schedule.js';
import { namingOptions } from '../../util/option-error.js';
import { type ActionDetector } from './action-detector.js';
import { RoiActionHead } from './roi-head.js';
import { type AvaKeyframeSet } from './ava-keyframes.js';
import { KeyframeCache, KeyframeLoader, type KeyframeClipOptions } from './ava-loader.js';

export interface DetectorTrainOptions extends KeyframeClipOptions {
  epochs?: number;
  /** Keyframes per batch. */
  batchSize?: number;
  lr?: number;
  momentum?: number;
  /** Weight decay on kernels (biases and BatchNorm: none). */
  weightDecay?: number;
  warmupEpochs?: number;
  /** Train the head only, the encoder in eval mode. */
  freezeEncoder?: boolean;
  seed?: number;
  parallelism?: number;
  onStep?: (r: DetectStepRecord) => void;
  onEpoch?: (r: DetectEpochRecord) => void;
  onSkip?: (message: string) => void;
}

export interface DetectStepRecord {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  keyframes: number;
  /** Time spent waiting for the batch. */
  waitMs: number;
  computeMs: number;
}

export interface DetectEpochRecord {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  keyframes: number;
  boxes: number;
  seconds: number;
}

export interface DetectorTrainResult {
  epochs: DetectEpochRecord[];
  /** Unreadable videos and keyframes skipped for any reason (distinct). */
  badVideos: number;
  skippedKeyframes: number;
}

/** Defaults sized for the synthetic set on a CPU (SlowFast on AVA: lr 0.1 for 64 keyframes a batch, weight decay 1e-7). */
export const DETECT_TRAIN_DEFAULTS = { epochs: 12, batchSize: 8, lr: 0.05, momentum: 0.9, weightDecay: 1e-4, warmupEpochs: 1, freezeEncoder: false };

export async function trainDetector(model: ActionDetector, set: AvaKeyframeSet, o: DetectorTrainOptions): Promise<DetectorTrainResult> {
  const d = DETECT_TRAIN_DEFAULTS;
  const epochs = o.epochs ?? d.epochs, bs = o.batchSize ?? d.batchSize, lr = o.lr ?? d.lr, seed = o.seed ?? 0;
  if (set.keyframes.length === 0) throw new Error('no training keyframes (every annotated video missing or excluded?)');
  manualSeed(seed);
  model.frozenEncoder = o.freezeEncoder ?? d.freezeEncoder;
  const trainable = model.frozenEncoder ? model.head : model;
  const wd = o.weightDecay ?? d.weightDecay;
  const opt = new SGD(weightDecayGroups<{ lr: number }>(trainable.namedParameters(), wd), { lr, momentum: o.momentum ?? d.momentum });
  const stepsPerEpoch = Math.ceil(set.keyframes.length / bs);
  const totalSteps = epochs * stepsPerEpoch;
  const schedule = new LrSchedule({ kind: 'warmup-cosine', lr, warmupSteps: Math.min(totalSteps, Math.round((o.warmupEpochs ?? d.warmupEpochs) * stepsPerEpoch)), totalSteps });
  const cache = new KeyframeCache();
  const records: DetectEpochRecord[] = [];
  const t0 = performance.now();
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train();
    let lossSum = 0, boxes = 0, keyframes = 0;
    const loader = new KeyframeLoader(set, { ...o, batchSize: bs, shuffle: true, seed, epoch }, cache);
    let waitStart = performance.now();
    for await (const batch of loader) {
      const waitMs = performance.now() - waitStart, c0 = performance.now();
      opt.groups.forEach((g) => { g.options.lr = schedule.lr; });
      let loss: number;
      try {
        loss = tidy(() => {
          const l = RoiActionHead.loss(model.forward(batch.clips, batch.boxes), batch.targets);
          opt.zeroGrad();
          l.backward();
          opt.step();
          return l.item();
        });
      } finally {
        batch.dispose();
      }
      if (!Number.isFinite(loss)) throw namingOptions(new Error(`detector training diverged: loss ${loss} at epoch ${epoch + 1}; lower lr`), 'lr');
      const k = batch.keyframes.reduce((s, kf) => s + kf.boxes.length, 0);
      lossSum += loss * k;
      boxes += k;
      keyframes += batch.keyframes.length;
      step++;
      o.onStep?.({ step, totalSteps, epoch: epoch + 1, loss, lr: schedule.lr, keyframes: batch.keyframes.length, waitMs, computeMs: performance.now() - c0 });
      schedule.step();
      waitStart = performance.now();
    }
    if (keyframes === 0) throw new Error(`no readable training keyframe in epoch ${epoch + 1} (${cache.stats.badVideos} unreadable videos)`);
    const rec: DetectEpochRecord = { epoch: epoch + 1, step, loss: lossSum / boxes, lr: schedule.lr, keyframes, boxes, seconds: (performance.now() - t0) / 1000 };
    records.push(rec);
    o.onEpoch?.(rec);
  }
  return { epochs: records, ...cache.stats };
}
