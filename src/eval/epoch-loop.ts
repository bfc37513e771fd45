/**
 * The epoch loop that the linear probe and fine-tuning share: batches of (inputs, labels) per epoch,
 * one optimiser step each at the schedule's learning rate, a divergence check, and one record per
 * epoch (mean loss, train top-1) for metrics.jsonl and the log.
 */
import { tensor } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { toDeviceBatch } from '../torch/device.js';
import { type Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { type Module } from '../nn/module.js';
import { type Optimizer } from '../optim/optimizer.js';
import { type LrSchedule } from '../optim/schedule.js';
import { type VideoLoader } from '../video/loader.js';
import { namingOptions } from '../util/option-error.js';
import { type EpochRecord } from './supervised.js';

/** Inputs and int64 labels of one batch; the loop disposes both after the step. */
export interface LabelledBatch {
  x: Tensor;
  y: Tensor;
}

export interface EpochLoopOptions {
  /** Names the job in log lines and errors ("linear-eval", "finetune"). */
  name: string;
  epochs: number;
  /** The trained module: set to train mode every epoch; its forward gives the logits. */
  model: Module;
  optimizer: Optimizer<{ lr: number }>;
  schedule: LrSchedule;
  /** Applies the schedule's rate (default: every group at that rate). */
  setLr?: (lr: number) => void;
  batches: (epoch: number) => AsyncIterable<LabelledBatch> | Iterable<LabelledBatch>;
  /** Runs the forward (default: model.forward), e.g. under autocast. */
  logits?: (x: Tensor) => Tensor;
  /** Log every this many epochs, and the last one (default 1). */
  logEvery?: number;
  onEpoch?: (r: EpochRecord) => void;
  log: (line: string) => void;
}

/** Trains for `epochs` epochs; returns the last epoch's train top-1 (%). */
export async function runEpochs(o: EpochLoopOptions): Promise<number> {
  const setLr = o.setLr ?? ((lr: number) => o.optimizer.setLr(lr));
  const logits = o.logits ?? ((x: Tensor) => o.model.forward(x));
  let trainTop1 = NaN, step = 0;
  const t0 = performance.now();
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    o.model.train();
    let lossSum = 0, correct = 0, n = 0;
    for await (const batch of o.batches(epoch)) {
      const [x, y] = toDeviceBatch([batch.x, batch.y], o.model.device);
      const b = { x, y };
      try {
        setLr(o.schedule.lr);
        const r = tidy(() => {
          const z = logits(b.x).float();
          const loss = F.crossEntropy(z, b.y);
          o.optimizer.zeroGrad();
          loss.backward();
          o.optimizer.step();
          return { loss: loss.item(), correct: z.argmax(1).eq(b.y).sum().item() };
        });
        if (!Number.isFinite(r.loss)) throw namingOptions(new Error(`${o.name} diverged: loss ${r.loss} at epoch ${epoch + 1}; lower lr`), 'lr');
        const size = b.y.size(0);
        lossSum += r.loss * size;
        correct += r.correct;
        n += size;
      } finally {
        b.x.dispose();
        b.y.dispose();
      }
      step++;
      o.schedule.step();
    }
    if (n === 0) throw new Error(`${o.name}: no training batch of at least 2 readable videos`);
    trainTop1 = (100 * correct) / n;
    const rec: EpochRecord = { epoch: epoch + 1, step, loss: lossSum / n, lr: o.schedule.lr, train_top1: trainTop1, seconds: (performance.now() - t0) / 1000 };
    o.onEpoch?.(rec);
    if (epoch === o.epochs - 1 || (epoch + 1) % (o.logEvery ?? 1) === 0) {
      o.log(`${o.name}: epoch ${rec.epoch}/${o.epochs} loss ${rec.loss.toFixed(4)} train top-1 ${trainTop1.toFixed(1)} lr ${rec.lr.toExponential(2)} (${rec.seconds.toFixed(0)} s)`);
    }
  }
  return trainTop1;
}

/**
 * A loader's batches as (first view, labels), `inputs` applied to the clips (default: the clips
 * themselves). BatchNorm cannot normalise a batch of one video in train mode: such batches are skipped.
 */
export async function* loaderBatches(loader: VideoLoader, inputs?: (clips: Tensor) => Tensor): AsyncIterable<LabelledBatch> {
  for await (const batch of loader) {
    const clips = batch.views[0];
    if (batch.labels.length < 2) {
      clips.dispose();
      continue;
    }
    let x = clips;
    if (inputs) {
      x = inputs(clips);
      clips.dispose();
    }
    yield { x, y: tensor(batch.labels, { dtype: 'int64' }) };
  }
}
