/**
 * Pre-training configuration: one flat object of keys, loaded from YAML and overridden by flags,
 * validated with messages that name the key. `lr` is the base learning rate at batch 1024 and is
 * scaled linearly with the effective batch (batch x accumulate x world size), as in CVRL. What each
 * key means is in config-help.ts (`cvrl pretrain --help`).
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
  input: z.enum(ENCODER_INPUTS).default('rgb'),
  frames: int(1).default(8),
  stride: int(1).default(2),
  size: int(8).default(64),
  decodeShortSide: int(8).optional(),
  batch: int(2).default(16),
  accumulate: int(1).default(1),
  epochs: int(1).default(10),
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
  clipsPerVideo: int(2).max(8).default(2),
  bgEraseProb: prob.default(0),
  bgEraseMax: z.number().min(0).lt(1).default(0.5),
  bgEraseMix: z.boolean().default(false),
  staticNegatives: z.boolean().default(false),
  reverseNegatives: z.boolean().default(false),
  shuffleNegatives: z.boolean().default(false),
  decorrelation: z.number().min(0).default(0),
  pseudoMotion: z.number().min(0).default(0),
  pseudoMotionSchedule: z.enum(['constant', 'linear']).default('constant'),
  sceneBatches: int(0).default(0),
  gapLaw: z.enum(GAP_LAWS).default('cvrl'),
  gapPower: z.number().positive().default(1),
  consistent: z.boolean().default(true),
  cropAreaMin: z.number().gt(0).max(1).default(0.3),
  colorStrength: z.number().min(0).default(1),
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
  augmentOn: z.enum(['auto', 'workers', 'step']).default('auto'),
  frameCacheMb: int(0).default(DEFAULT_FRAME_CACHE_MB),
  logEvery: int(1).default(10),
  knnEvery: int(0).default(0),
  knnVideos: int(2).default(256),
  checkpointEvery: int(1).default(100),
  keepCheckpoints: int(1).default(3),
  syncBn: z.boolean().default(false),
  precision: z.enum(PRECISIONS).default('auto'),
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
