/**
 * Training checkpoints: model (encoder + head), optimiser state, schedule, RNG state and the data
 * position, in one safetensors file written atomically (temporary file, fsync, rename, directory
 * fsync). The previous checkpoint stays loadable if a write fails midway.
 */
import { mkdirSync, unlinkSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../torch/tensor.js';
import { getRngState } from '../torch/runtime.js';
import { section, sectionOf, writeCheckpoint, readCheckpoint, type ModelSpec } from '../models/checkpoint.js';
import { CvrlModel } from '../ssl/cvrl-model.js';
import { Optimizer, type OptimizerState } from '../optim/optimizer.js';
import { trainStateProblems } from './train-state-check.js';
import { completeCheckpoints } from './run-files.js';

export interface TrainPosition {
  /** Optimiser steps taken. */
  step: number;
  epoch: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
}

export interface TrainState extends TrainPosition {
  scheduleStep: number;
  optimizer: OptimizerState['meta'];
  config: Record<string, unknown>;
  lastLoss: number;
  /** Processes that trained together (absent in single-process checkpoints written before distributed training). */
  worldSize?: number;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}.safetensors`;
}

export function saveTrainCheckpoint(runDir: string, spec: ModelSpec, model: CvrlModel, opt: Optimizer<{ lr: number }>, state: TrainState, keep: number): string {
  const dir = join(runDir, 'checkpoints');
  mkdirSync(dir, { recursive: true });
  const tensors = section('encoder', model.encoder);
  section('head', model.head, tensors);
  if (model.motionHead) section('motionHead', model.motionHead, tensors);
  const os = opt.stateDict();
  for (const [k, v] of os.tensors) tensors.set(`optimizer.${k}`, v);
  const rng = getRngState();
  tensors.set('rng.torch', rng);
  const file = join(dir, checkpointName(state.step));
  // Room for the new file: older checkpoints beyond keep - 1 go first, but never the newest (the
  // last good one) until the new one is complete.
  prune(runDir, Math.max(1, keep - 1));
  try {
    writeCheckpoint(file, tensors, { model: spec, train: { ...state, optimizer: os.meta } });
  } finally {
    rng.dispose();
    for (const [k, t] of tensors) if (!k.startsWith('optimizer.')) t.dispose();
  }
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  prune(runDir, keep);
  return file;
}

/** Keeps the newest `keep` checkpoints of the run. */
function prune(runDir: string, keep: number): void {
  const all = completeCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) unlinkSync(join(runDir, 'checkpoints', old));
}

export interface LoadedTrainState {
  file: string;
  state: TrainState;
  spec: ModelSpec;
  encoder: Map<string, Tensor>;
  head: Map<string, Tensor>;
  /** The pseudo-motion head (empty when the run had none). */
  motionHead: Map<string, Tensor>;
  optimizer: OptimizerState;
  rng: Tensor | undefined;
}

export function loadTrainCheckpoint(path: string): LoadedTrainState {
  const ck = readCheckpoint(path);
  const train = ck.meta.train as TrainState | undefined;
  const problems = train ? trainStateProblems(train) : [];
  if (!train || problems.length) ck.tensors.forEach((t) => t.dispose());
  if (!train) throw new Error(`${ck.file}: not a training checkpoint (no "train" state); it holds an encoder only`);
  if (problems.length) throw new Error(`${ck.file}: training state: ${problems.join('; ')}`);
  return {
    file: ck.file,
    state: train,
    spec: ck.meta.model,
    encoder: sectionOf(ck.tensors, 'encoder'),
    head: sectionOf(ck.tensors, 'head'),
    motionHead: sectionOf(ck.tensors, 'motionHead'),
    optimizer: { tensors: sectionOf(ck.tensors, 'optimizer'), meta: train.optimizer },
    rng: ck.tensors.get('rng.torch'),
  };
}
