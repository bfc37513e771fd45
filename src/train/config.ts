/**
 * Pre-training configuration: one flat object of keys, loaded from YAML and overridden by flags,
 * validated with messages that name the key. `lr` is the base learning rate at batch 1024 and is
 * scaled linearly with the effective batch (batch x accumulate x world size), as in CVRL.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DATASET_FORMATS } from '../video/dataset.js';
import { GAP_LAWS } from '../video/samplers.js';
import { DEFAULT_FRAME_CACHE_MB } from '../video/video-cache.js';
import { PRECISIONS } from '../torch/precision.js';
import { ENCODER_INPUTS } from '../models/resnet3d.js';

const int = (min: number) => z.number().int().min(min);
const prob = z.number().min(0).max(1);

export const PretrainConfigSchema = z.object({
  data: z.string().min(1),
  format: z.enum(DATASET_FORMATS as unknown as [string, ...string[]]),
  annotations: z.string().optional(),
  split: int(1).max(3).optional(),
  out: z.string().min(1),
  arch: z.string().default('r3d_18_tiny'),
  width: z.number().positive().optional(),
  /** Encoder input: 'rgb' frames, 'diff' (consecutive-frame differences) or 'aligned-diff' (camera motion removed first); see ResNet3dConfig.input. */
  input: z.enum(ENCODER_INPUTS).default('rgb'),
  frames: int(1).default(8),
  stride: int(1).default(2),
  size: int(8).default(64),
  decodeShortSide: int(8).optional(),
  batch: int(2).default(16),
  accumulate: int(1).default(1),
  epochs: int(1).default(10),
  /** Stop after this many optimiser steps (overrides epochs when smaller). */
  steps: int(1).optional(),
  optimizer: z.enum(['sgd', 'lars']).default('sgd'),
  lr: z.number().positive().default(0.32),
  lrBatch: int(1).default(1024),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().min(0).default(1e-6),
  warmupEpochs: z.number().min(0).default(1),
  temperature: z.number().positive().default(0.1),
  headHidden: int(1).default(2048),
  headOut: int(1).default(128),
  headLayers: int(0).default(3),
  /** Clips per video (rho); every pair of a video's clips is a positive. */
  clipsPerVideo: int(2).max(8).default(2),
  /** Background erasing: probability per clip, largest blend weight of the still frame, still from another video. */
  bgEraseProb: prob.default(0),
  bgEraseMax: z.number().min(0).lt(1).default(0.5),
  bgEraseMix: z.boolean().default(false),
  /** A static clip of each video (one frame repeated) as an extra negative. */
  staticNegatives: z.boolean().default(false),
  /** Each video's first clip played backwards as an extra negative (motion direction matters). */
  reverseNegatives: z.boolean().default(false),
  /** Each video's first clip with shuffled frames as an extra negative (coherent motion matters). */
  shuffleNegatives: z.boolean().default(false),
  /** Weight of a variance + covariance penalty on the encoder's features against dimensional collapse (0: off). */
  decorrelation: z.number().min(0).default(0),
  /** Weight of a pseudo-motion classification loss (pan, tilt, rotation, zoom of a still frame; MoSI) on the encoder (0: off). */
  pseudoMotion: z.number().min(0).default(0),
  /** 'linear': the pseudo-motion weight falls from its value to 0 over the run, leaving the later steps to the contrastive loss. */
  pseudoMotionSchedule: z.enum(['constant', 'linear']).default('constant'),
  /** Draw each batch from this many groups of similar-looking videos (hard negatives without labels; 0: plain shuffle). */
  sceneBatches: int(0).default(0),
  gapLaw: z.enum(GAP_LAWS).default('cvrl'),
  gapPower: z.number().positive().default(1),
  consistent: z.boolean().default(true),
  cropAreaMin: z.number().gt(0).max(1).default(0.3),
  colorStrength: z.number().min(0).default(1),
  /** Hue jitter range (default 0.2 x colorStrength, at most 0.5); 0.5 makes colour carry no identity. */
  hue: z.number().min(0).max(0.5).optional(),
  jitterProb: prob.default(0.8),
  grayscaleProb: prob.default(0.2),
  blurProb: z.tuple([prob, prob]).default([1, 0.1]),
  solarizeProb: z.tuple([prob, prob]).default([0, 0.2]),
  flipProb: prob.default(0.5),
  seed: int(0).default(0),
  threads: int(1).default(2),
  parallelism: int(1).default(4),
  prefetch: int(0).default(2),
  /** MiB of whole decoded videos kept across epochs (0: decode every sample); videos beyond it are decoded per sample. */
  frameCacheMb: int(0).default(DEFAULT_FRAME_CACHE_MB),
  logEvery: int(1).default(10),
  /** Online kNN top-1 on labelled train/test subsets every K steps (0: off); needs a labelled split. */
  knnEvery: int(0).default(0),
  knnVideos: int(2).default(256),
  checkpointEvery: int(1).default(100),
  keepCheckpoints: int(1).default(3),
  /** Synchronised BatchNorm: statistics of the global batch in the encoder and head (the paper's setting; only with several ranks). */
  syncBn: z.boolean().default(false),
  /** Forward passes under bfloat16 autocast (convolutions and matmuls) or not; auto: bf16 on a GPU or where the CPU runs it natively. */
  precision: z.enum(PRECISIONS).default('auto'),
  /** cpu, cuda (LOCAL_RANK's GPU) or cuda:N: where the model, loss and optimiser run; clips are decoded on the CPU either way. */
  device: z.string().regex(/^(cpu|cuda(:\d+)?)$/, "must be cpu, cuda or cuda:N").default('cpu'),
}).strict();

export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;

/** Turns zod issues into one message per key ("SOURCE: 'batch': must be >= 2"). */
export function formatIssues(e: z.ZodError, source: string): string {
  return e.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `${source}: unknown key(s) ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    const key = i.path.join('.') || '(config)';
    return `${source}: '${key}': ${i.message}`;
  }).join('\n');
}

export function loadConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new Error(`config file ${file} not found`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: invalid YAML (${(e as Error).message})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: expected a mapping of config keys`);
  return doc as Record<string, unknown>;
}

/** Merges a config file (if any) with overrides (flags win) and validates the result. */
export function resolveConfig(overrides: Record<string, unknown>, file?: string): PretrainConfig {
  const base = file ? loadConfigFile(file) : {};
  const merged: Record<string, unknown> = { ...base, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  if ('bf16' in merged) throw new Error(`${file ? `${file}: ` : ''}config key 'bf16' was replaced by 'precision': auto (the default: bf16 where the CPU runs it natively), fp32 or bf16`);
  const r = PretrainConfigSchema.safeParse(merged);
  if (!r.success) throw new Error(formatIssues(r.error, file ? `config (${file} + flags)` : 'config'));
  return r.data;
}
