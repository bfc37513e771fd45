/**
 * Checkpoint files: one safetensors file whose tensors are namespaced by section ("encoder.",
 * "head.", "optimizer.", ...) and whose metadata key "cvrl" holds a JSON document with the model
 * spec and whatever the writer records (step, config, RNG state...). A run directory's checkpoints
 * live in RUNDIR/checkpoints/step-NNNNNNNN.safetensors; "the latest" is the highest step.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../torch/tensor.js';
import { loadSafetensors, saveSafetensors } from '../nn/safetensors.js';
import { readSafetensorsHeader } from '../formats/safetensors.js';
import { Module } from '../nn/module.js';
import { createModel, modelConfig, type ModelOverrides } from './registry.js';
import { ResNet3d } from './resnet3d.js';

export interface ModelSpec {
  arch: string;
  overrides: ModelOverrides;
}

export interface CheckpointMeta {
  format: 'cvrl-checkpoint';
  version: 1;
  model: ModelSpec;
  [key: string]: unknown;
}

export interface Checkpoint {
  file: string;
  meta: CheckpointMeta;
  tensors: Map<string, Tensor>;
}

/** A run's checkpoint file name, `step-<step>.safetensors`. */
export const STEP_FILE = /^step-(\d+)\.safetensors$/;

/** The checkpoint file a path names: the file itself, or a run directory's latest checkpoint. */
export function resolveCheckpoint(path: string): string {
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  if (!statSync(path).isDirectory()) return path;
  for (const dir of [join(path, 'checkpoints'), path]) {
    if (!existsSync(dir)) continue;
    const steps = readdirSync(dir).map((n) => ({ n, m: STEP_FILE.exec(n) })).filter((x) => x.m).sort((a, b) => Number(b.m![1]) - Number(a.m![1]));
    if (steps.length) return join(dir, steps[0].n);
  }
  throw new Error(`no checkpoint (checkpoints/step-*.safetensors) in run directory ${path}`);
}

/** Collects a module's state dict under a section prefix ("encoder" -> "encoder.layer1.0..."). */
export function section(prefix: string, m: Module<never[], unknown>, into = new Map<string, Tensor>()): Map<string, Tensor> {
  for (const [k, v] of m.stateDict()) into.set(`${prefix}.${k}`, v);
  return into;
}

/** The tensors of one section with the prefix removed. */
export function sectionOf(tensors: ReadonlyMap<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of tensors) if (k.startsWith(`${prefix}.`)) out.set(k.slice(prefix.length + 1), v);
  return out;
}

export function writeCheckpoint(file: string, tensors: ReadonlyMap<string, Tensor>, meta: Omit<CheckpointMeta, 'format' | 'version'>): void {
  saveSafetensors(file, tensors, { cvrl: JSON.stringify({ format: 'cvrl-checkpoint', version: 1, ...meta }) });
}

function parseMeta(file: string, metadata: Record<string, string>): CheckpointMeta {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(metadata.cvrl ?? 'null') as CheckpointMeta;
  } catch {
    throw new Error(`${file}: checkpoint metadata is not valid JSON`);
  }
  if (!meta || meta.format !== 'cvrl-checkpoint' || typeof meta.model?.arch !== 'string') {
    throw new Error(`${file}: not a cvrl checkpoint (missing "cvrl" metadata with a model spec)`);
  }
  // Untrusted: check the model it asks for before anything is built from it.
  try {
    modelConfig(meta.model.arch, meta.model.overrides ?? {});
  } catch (e) {
    throw new Error(`${file}: checkpoint metadata "model": ${(e as Error).message}`);
  }
  return meta;
}

/** A checkpoint's metadata alone (model spec, training state), without reading its tensors. */
export function readCheckpointMeta(path: string): { file: string; meta: CheckpointMeta } {
  const file = resolveCheckpoint(path);
  return { file, meta: parseMeta(file, readSafetensorsHeader(file).metadata) };
}

export function readCheckpoint(path: string): Checkpoint {
  const file = resolveCheckpoint(path);
  const { tensors, metadata } = loadSafetensors(file);
  try {
    return { file, meta: parseMeta(file, metadata), tensors };
  } catch (e) {
    tensors.forEach((t) => t.dispose());
    throw e;
  }
}

/** Saves modules as named sections of one checkpoint ({ encoder, classifier } -> "encoder.*", "classifier.*"). */
export function saveSections(file: string, modules: Record<string, Module<never[], unknown>>, meta: Omit<CheckpointMeta, 'format' | 'version'>): void {
  const tensors = new Map<string, Tensor>();
  for (const [name, m] of Object.entries(modules)) section(name, m, tensors);
  try {
    writeCheckpoint(file, tensors, meta);
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

/** Saves an encoder alone as a checkpoint. */
export function saveEncoder(file: string, spec: ModelSpec, encoder: ResNet3d, extra: Record<string, unknown> = {}): void {
  saveSections(file, { encoder }, { model: spec, ...extra });
}

/** Rebuilds the encoder recorded in a checkpoint (file or run directory) and loads its weights strictly. */
export function loadEncoder(path: string): { encoder: ResNet3d; spec: ModelSpec; checkpoint: Checkpoint } {
  const ck = readCheckpoint(path);
  const encoder = createModel(ck.meta.model.arch, { ...ck.meta.model.overrides, numClasses: 0 });
  const weights = sectionOf(ck.tensors, 'encoder');
  if (weights.size === 0) throw new Error(`${ck.file}: checkpoint has no encoder weights (keys "encoder.*")`);
  encoder.loadStateDict(weights);
  return { encoder, spec: ck.meta.model, checkpoint: ck };
}
