/**
 * The encoder an evaluation runs on: a checkpoint (file or run directory, loaded strictly), or a
 * randomly initialised encoder of a named architecture (the random-encoder and from-scratch
 * baselines). Clip settings recorded by pre-training become the evaluation defaults.
 */
import { createModel, listModels } from '../models/registry.js';
import { loadEncoder, readCheckpointMeta, type ModelSpec } from '../models/checkpoint.js';
import { ResNet3d } from '../models/resnet3d.js';
import { manualSeed } from '../torch/runtime.js';
import { namingOptions } from '../util/option-error.js';

export interface EncoderSourceOptions {
  checkpoint?: string;
  arch?: string;
  width?: number;
  /** Random weights: with `arch`, or with `checkpoint` to take only its architecture (the scratch baseline). */
  randomInit?: boolean;
  seed?: number;
}

export interface ClipDefaults {
  frames?: number;
  stride?: number;
  size?: number;
  decodeShortSide?: number;
}

export interface EncoderSource {
  encoder: ResNet3d;
  spec: ModelSpec;
  checkpoint: string | null;
  randomInit: boolean;
  clip: ClipDefaults;
}

/** What a metrics.json records about the encoder. */
export function describeEncoder(s: EncoderSource): { checkpoint: string | null; arch: string; randomInit: boolean } {
  return { checkpoint: s.checkpoint, arch: s.spec.arch, randomInit: s.randomInit };
}

function clipDefaults(meta: Record<string, unknown>): ClipDefaults {
  const cfg = ((meta.train as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined);
  return { frames: pick('frames'), stride: pick('stride'), size: pick('size'), decodeShortSide: pick('decodeShortSide') };
}

export function openEncoder(o: EncoderSourceOptions): EncoderSource {
  if (o.checkpoint && o.arch) throw namingOptions(new Error('pass either checkpoint or arch, not both (a trained encoder records its architecture)'), 'checkpoint', 'arch');
  if (o.checkpoint) {
    if (o.randomInit) {
      const ck = readCheckpointMeta(o.checkpoint);
      manualSeed(o.seed ?? 0);
      return { encoder: createModel(ck.meta.model.arch, { ...ck.meta.model.overrides, numClasses: 0 }), spec: ck.meta.model, checkpoint: null, randomInit: true, clip: clipDefaults(ck.meta) };
    }
    const { encoder, spec, checkpoint } = loadEncoder(o.checkpoint);
    const clip = clipDefaults(checkpoint.meta);
    checkpoint.tensors.forEach((t) => t.dispose());
    return { encoder, spec, checkpoint: checkpoint.file, randomInit: false, clip };
  }
  if (!o.arch) throw namingOptions(new Error('pass checkpoint (a file or run directory), or arch with randomInit for the random-encoder baseline'), 'checkpoint', 'arch', 'randomInit');
  if (!o.randomInit) throw namingOptions(new Error(`arch ${o.arch} needs randomInit (trained weights come from checkpoint)`), 'arch', 'randomInit', 'checkpoint');
  const known = listModels().map((m) => m.name);
  if (!known.includes(o.arch)) throw namingOptions(new Error(`arch: unknown model '${o.arch}'; known: ${known.join(', ')}`), 'arch');
  const spec: ModelSpec = { arch: o.arch, overrides: o.width !== undefined ? { width: o.width } : {} };
  manualSeed(o.seed ?? 0);
  return { encoder: createModel(o.arch, { ...spec.overrides, numClasses: 0 }), spec, checkpoint: null, randomInit: true, clip: {} };
}
