/**
 * The encoder an evaluation runs on: a checkpoint (file or run directory, loaded strictly), a plain
 * PyTorch state dict of a named architecture (torchvision's video ResNets), or a randomly
 * initialised encoder of a named architecture (the random-encoder and from-scratch baselines).
 * Clip settings recorded by pre-training become the evaluation defaults.
 */
import { resolveDevice } from '../torch/device.js';
import { createModel, listModels } from '../models/registry.js';
import { loadEncoder, readCheckpointMeta, type ModelSpec } from '../models/checkpoint.js';
import { ResNet3d } from '../models/resnet3d.js';
import { loadPlainWeights } from '../models/plain-weights.js';
import { manualSeed } from '../torch/runtime.js';
import { namingOptions } from '../util/option-error.js';

export interface EncoderSourceOptions {
  checkpoint?: string;
  /** A plain PyTorch-keyed safetensors state dict (e.g. torchvision's r3d_18), with `arch`. */
  weights?: string;
  arch?: string;
  width?: number;
  /** Random weights: with `arch`, or with `checkpoint` to take only its architecture (the scratch baseline). */
  randomInit?: boolean;
  seed?: number;
  /** cpu (default), cuda or cuda:N: where the encoder (and what evaluation builds on it) runs. */
  device?: string;
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
  weights?: string;
  randomInit: boolean;
  clip: ClipDefaults;
}

/** What a metrics.json records about the encoder. */
export function describeEncoder(s: EncoderSource): { checkpoint: string | null; weights?: string; arch: string; randomInit: boolean } {
  return { checkpoint: s.checkpoint, ...(s.weights ? { weights: s.weights } : {}), arch: s.spec.arch, randomInit: s.randomInit };
}

function clipDefaults(meta: Record<string, unknown>): ClipDefaults {
  const cfg = ((meta.train as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined);
  return { frames: pick('frames'), stride: pick('stride'), size: pick('size'), decodeShortSide: pick('decodeShortSide') };
}

export function openEncoder(o: EncoderSourceOptions): EncoderSource {
  const device = resolveDevice(o.device ?? 'cpu'); // checked before any weights are read
  const s = openOnCpu(o);
  s.encoder.to(device);
  return s;
}

function openOnCpu(o: EncoderSourceOptions): EncoderSource {
  if (o.weights) {
    if (o.checkpoint) throw namingOptions(new Error('pass either checkpoint (a cvrl checkpoint) or weights (a plain state dict), not both'), 'checkpoint', 'weights');
    if (o.randomInit) throw namingOptions(new Error('weights and randomInit contradict each other: drop one'), 'weights', 'randomInit');
    const { encoder, spec } = loadPlainWeights(o.weights, { arch: o.arch, width: o.width });
    return { encoder, spec, checkpoint: null, weights: o.weights, randomInit: false, clip: {} };
  }
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
  if (!o.arch) throw namingOptions(new Error('pass checkpoint (a file or run directory), weights (a state dict file) with arch, or arch with randomInit for the random-encoder baseline'), 'checkpoint', 'weights', 'arch', 'randomInit');
  if (!o.randomInit) throw namingOptions(new Error(`arch ${o.arch} needs randomInit (a random encoder) or weights (a state dict file); a trained cvrl encoder comes from checkpoint`), 'arch', 'randomInit', 'weights', 'checkpoint');
  const known = listModels().map((m) => m.name);
  if (!known.includes(o.arch)) throw namingOptions(new Error(`arch: unknown model '${o.arch}'; known: ${known.join(', ')}`), 'arch');
  const spec: ModelSpec = { arch: o.arch, overrides: o.width !== undefined ? { width: o.width } : {} };
  manualSeed(o.seed ?? 0);
  return { encoder: createModel(o.arch, { ...spec.overrides, numClasses: 0 }), spec, checkpoint: null, randomInit: true, clip: {} };
}
