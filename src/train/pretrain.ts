/**
 * CVRL pre-training, top to bottom: data -> two views -> encoder + head -> NT-Xent -> optimiser ->
 * metrics and checkpoints. Resumable: a killed run continues from its latest checkpoint with the
 * same losses as an uninterrupted one (CPU, same threads); SIGINT/SIGTERM checkpoint before exiting.
 */
import { mkdirSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostname, cpus } from 'node:os';
import { tidy } from '../torch/scope.js';
import { autocast } from '../torch/autograd.js';
import { manualSeed, setNumThreads, setRngState, info } from '../torch/runtime.js';
import { createModel } from '../models/registry.js';
import { type ModelSpec } from '../models/checkpoint.js';
import { CvrlModel } from '../ssl/cvrl-model.js';
import { ntXent } from '../ssl/ntxent.js';
import { SGD } from '../optim/sgd.js';
import { LARS } from '../optim/lars.js';
import { weightDecayGroups } from '../optim/groups.js';
import { LrSchedule } from '../optim/schedule.js';
import { Optimizer } from '../optim/optimizer.js';
import { openDataset, type DatasetFormat } from '../video/dataset.js';
import { VideoLoader, VideoCache } from '../video/loader.js';
import { cvrlViewConfigs } from '../video/augment-params.js';
import { type PretrainConfig } from './config.js';
import { saveTrainCheckpoint, loadTrainCheckpoint, type TrainState } from './run-checkpoint.js';
import { EventWriter } from './tensorboard.js';
import { Progress } from './progress.js';

export interface PretrainOptions {
  config: PretrainConfig;
  /** Continue from the run directory's latest checkpoint. */
  resume?: boolean;
  /** No progress output (metrics files are still written). */
  quiet?: boolean;
  /** Stop (with a checkpoint) after this many optimiser steps in this process; for tests. */
  stopAfter?: number;
}

export interface PretrainResult {
  runDir: string;
  steps: number;
  finalLoss: number;
  checkpoint: string;
  clipsPerSec: number;
  badVideos: number;
  interrupted: boolean;
}

export class TrainingDiverged extends Error {}

export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const c = o.config;
  const runDir = resolve(c.out);
  mkdirSync(runDir, { recursive: true });
  setNumThreads(c.threads);
  manualSeed(c.seed);
  const dataset = openDataset({ data: c.data, format: c.format as DatasetFormat, annotations: c.annotations, split: c.split });
  const spec: ModelSpec = { arch: c.arch, overrides: c.width !== undefined ? { width: c.width } : {} };
  const model = new CvrlModel(createModel(c.arch, { ...spec.overrides, numClasses: 0 }), { hiddenDim: c.headHidden, outDim: c.headOut, hiddenLayers: c.headLayers });
  model.train();
  const effectiveBatch = c.batch * c.accumulate;
  const lr = (c.lr * effectiveBatch) / c.lrBatch;
  const groups = weightDecayGroups<{ lr: number }>(model.namedParameters(), c.weightDecay);
  const opt: Optimizer<{ lr: number }> = c.optimizer === 'lars'
    ? new LARS(groups, { lr, momentum: c.momentum })
    : new SGD(groups, { lr, momentum: c.momentum });
  const stepsPerEpoch = Math.floor(Math.floor(dataset.items.length / c.batch) / c.accumulate);
  if (stepsPerEpoch < 1) throw new Error(`dataset has ${dataset.items.length} videos: fewer than one step of batch ${c.batch} x accumulate ${c.accumulate}`);
  const totalSteps = Math.min(c.steps ?? Infinity, c.epochs * stepsPerEpoch);
  const schedule = new LrSchedule({ kind: 'warmup-cosine', lr, warmupSteps: Math.min(totalSteps, Math.round(c.warmupEpochs * stepsPerEpoch)), totalSteps });

  let pos: TrainState = { step: 0, epoch: 0, batchInEpoch: 0, scheduleStep: 0, optimizer: opt.stateDict().meta, config: c, lastLoss: NaN };
  if (o.resume) {
    const ck = loadTrainCheckpoint(runDir);
    model.encoder.loadStateDict(ck.encoder);
    model.head.loadStateDict(ck.head);
    opt.loadStateDict(ck.optimizer);
    schedule.loadState({ step: ck.state.scheduleStep });
    if (ck.rng) setRngState(ck.rng);
    // The data position only means something for the same data, order and batching.
    const before = ck.state.config as Partial<PretrainConfig>;
    const changed = (['data', 'format', 'annotations', 'split', 'seed', 'batch', 'accumulate', 'frames', 'stride'] as const).filter((k) => before[k] !== c[k]);
    if (changed.length) {
      throw new Error(`${ck.file}: cannot resume with a different ${changed.map((k) => `${k} (${JSON.stringify(before[k])} -> ${JSON.stringify(c[k])})`).join(', ')}`);
    }
    pos = { ...ck.state, config: c };
  } else if (existsSync(join(runDir, 'checkpoints'))) {
    throw new Error(`${runDir} already has checkpoints: pass --resume to continue it, or choose another --out`);
  }
  writeFileSync(join(runDir, 'config.json'), JSON.stringify({
    config: c, resolved: { effectiveBatch, lr, stepsPerEpoch, totalSteps, videos: dataset.items.length, classes: dataset.classes },
    environment: { node: process.version, host: hostname(), cpus: cpus().length, torch: (({ buildConfig, ...rest }) => rest)(info()) },
  }, null, 2));
  const metricsFile = join(runDir, 'metrics.jsonl');
  const tb = new EventWriter(runDir);
  const progress = new Progress(process.stderr, c.logEvery, o.quiet);
  const save = (s: TrainState) => saveTrainCheckpoint(runDir, spec, model, opt, s, c.keepCheckpoints);

  let stopSignal: string | null = null;
  const onSignal = (sig: string) => () => {
    // The first signal checkpoints at the next step; a second one (a hung read, an impatient user) exits now.
    if (stopSignal !== null) process.exit(130);
    stopSignal = sig;
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);

  const [v1, v2] = cvrlViewConfigs(c.size, {
    cropArea: [c.cropAreaMin, 1], flipProb: c.flipProb, jitterProb: c.jitterProb, grayscaleProb: c.grayscaleProb,
    brightness: 0.8 * c.colorStrength, contrast: 0.8 * c.colorStrength, saturation: 0.8 * c.colorStrength, hue: Math.min(0.5, 0.2 * c.colorStrength),
    consistent: c.consistent,
  });
  const views: [typeof v1, typeof v2] = [{ ...v1, blurProb: c.blurProb[0], solarizeProb: c.solarizeProb[0] }, { ...v2, blurProb: c.blurProb[1], solarizeProb: c.solarizeProb[1] }];
  const cache = new VideoCache();
  let checkpoint = '';
  let clips = 0, computeMs = 0, waitMs = 0, badVideos = 0;
  const t0 = performance.now();
  const stepsAtStart = pos.step;
  let lossSum = 0, lossCount = 0;

  try {
    outer: for (let epoch = pos.epoch; pos.step < totalSteps; epoch++) {
      const startBatch = epoch === pos.epoch ? pos.batchInEpoch : 0;
      const loader = new VideoLoader({
        dataset, mode: 'pretrain', batchSize: c.batch, frames: c.frames, stride: c.stride, size: c.size,
        decodeShortSide: c.decodeShortSide, augment: views, gapLaw: c.gapLaw, gapPower: c.gapPower,
        seed: c.seed, epoch, startBatch, parallelism: c.parallelism, prefetch: c.prefetch,
        onBadVideo: (p, r) => progress.message(`skipping unreadable video ${p}: ${r}`),
      }, cache);
      let b = startBatch;
      let tWait = performance.now();
      const usable = stepsPerEpoch * c.accumulate; // batches that end in an optimiser step
      for await (const batch of loader) {
        if (b >= usable) {
          batch.views.forEach((v) => v.dispose());
          break;
        }
        waitMs += performance.now() - tWait;
        const tc = performance.now();
        const loss = tidy(() => {
          const forward = () => [model.forward(batch.views[0]), model.forward(batch.views[1])];
          const [z1, z2] = c.bf16 ? autocast(forward) : forward();
          const l = ntXent([z1.float(), z2.float()], { temperature: c.temperature });
          l.div(c.accumulate).backward();
          return l.item();
        });
        batch.views.forEach((v) => v.dispose());
        clips += 2 * c.batch;
        b++;
        if (!Number.isFinite(loss)) {
          throw new TrainingDiverged(`loss became ${loss} at step ${pos.step} (epoch ${epoch}, batch ${b}); the last good checkpoint is ${checkpoint || 'none (no checkpoint written yet)'}; lower --lr or check the data`);
        }
        lossSum += loss;
        lossCount++;
        if (b % c.accumulate === 0) {
          opt.setLr(schedule.lr);
          opt.step();
          opt.zeroGrad();
          schedule.step();
          const lrNow = schedule.lr;
          pos = { ...pos, step: pos.step + 1, epoch, batchInEpoch: b, scheduleStep: schedule.currentStep, lastLoss: lossSum / lossCount };
          computeMs += performance.now() - tc;
          const elapsed = (performance.now() - t0) / 1000;
          const rate = clips / elapsed;
          const stepsDone = pos.step - stepsAtStart;
          const m = { step: pos.step, epoch, loss: pos.lastLoss, lr: lrNow, clips_per_s: rate, data_wait_share: waitMs / (waitMs + computeMs), bad_videos: badVideos + loader.stats.badVideos, time: elapsed };
          appendFileSync(metricsFile, `${JSON.stringify(m)}\n`);
          tb.scalars(pos.step, { 'train/loss': m.loss, 'train/lr': lrNow, 'train/clips_per_s': rate, 'train/data_wait_share': m.data_wait_share });
          progress.update({ step: pos.step, total: totalSteps, epoch, loss: m.loss, lr: lrNow, clipsPerSec: rate, dataWaitShare: m.data_wait_share, etaSec: ((totalSteps - pos.step) * elapsed) / Math.max(1, stepsDone) });
          lossSum = 0;
          lossCount = 0;
          const stopNow = stopSignal !== null || (o.stopAfter !== undefined && stepsDone >= o.stopAfter);
          if (pos.step % c.checkpointEvery === 0 || pos.step >= totalSteps || stopNow) checkpoint = save(pos);
          if (stopNow || pos.step >= totalSteps) {
            badVideos += loader.stats.badVideos;
            break outer;
          }
        } else {
          computeMs += performance.now() - tc;
        }
        tWait = performance.now();
      }
      badVideos += loader.stats.badVideos;
      pos = { ...pos, epoch: epoch + 1, batchInEpoch: 0 };
    }
  } finally {
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    tb.close();
    progress.done();
  }
  const interrupted = stopSignal !== null || (o.stopAfter !== undefined && pos.step < totalSteps);
  if (!checkpoint) checkpoint = save(pos);
  return {
    runDir, steps: pos.step, finalLoss: pos.lastLoss, checkpoint,
    clipsPerSec: clips / ((performance.now() - t0) / 1000), badVideos, interrupted,
  };
}
