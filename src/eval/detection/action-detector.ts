/**
 * Encoder + RoI action head, saved as one checkpoint with sections "encoder." and "head."; its
 * metadata records the model spec, the head's settings, the label map and the clip settings, so
 * that `detect eval` rebuilds exactly what `detect train` trained.
 */
import { tidy } from '../../torch/scope.js';
import { type Tensor } from '../../torch/tensor.js';
import { noGrad } from '../../torch/autograd.js';
import { Module } from '../../nn/module.js';
import { type ResNet3d } from '../../models/resnet3d.js';
import { createModel } from '../../models/registry.js';
import { readCheckpoint, saveSections, sectionOf, type ModelSpec } from '../../models/checkpoint.js';
import { RoiActionHead, encoderSpatialStride } from './roi-head.js';

export interface DetectorMeta {
  /** Label-map ids (logit j is classes[j]) and their names. */
  classes: number[];
  names: string[];
  resolution: number;
  dropout: number;
  clip: { frames: number; stride: number; size: number; timeOffset: number };
}

export class ActionDetector extends Module<[Tensor, Tensor], Tensor> {
  readonly encoder: ResNet3d;
  readonly head: RoiActionHead;
  /** Keep the encoder in eval mode and out of the graph (a linear-probe-style head). */
  frozenEncoder = false;

  constructor(encoder: ResNet3d, classes: number, o: { resolution?: number; dropout?: number } = {}) {
    super();
    this.encoder = this.registerModule('encoder', encoder);
    this.head = this.registerModule('head', new RoiActionHead(encoder.featureDim, classes, {
      spatialScale: 1 / encoderSpatialStride(encoder.config), resolution: o.resolution, dropout: o.dropout,
    }));
  }

  override train(mode = true): this {
    super.train(mode);
    if (this.frozenEncoder) this.encoder.eval();
    return this;
  }

  /** Logits [K, classes] for clips [B, 3, T, S, S] and boxes [K, 5] (batch index, x1, y1, x2, y2 in pixels). */
  forward(clips: Tensor, boxes: Tensor): Tensor {
    return tidy(() => {
      const device = this.encoder.device; // the loader's CPU tensors follow the model (no copy on the CPU)
      const x = clips.to(device);
      const fmap = this.frozenEncoder ? noGrad(() => this.encoder.forwardFeatures(x)) : this.encoder.forwardFeatures(x);
      return this.head.forward(fmap, boxes.to(device));
    });
  }

  save(file: string, spec: ModelSpec, meta: DetectorMeta, extra: Record<string, unknown> = {}): void {
    // train.config is where encoder checkpoints keep clip settings (jobs/encoder-source reads it).
    saveSections(file, { encoder: this.encoder, head: this.head }, { model: spec, detector: meta, train: { config: meta.clip }, ...extra });
  }
}

/**
 * The encoder with its last stage's spatial stride set to `lastStride` (SlowFast's AVA models use 1:
 * a feature map twice as fine, for small boxes). The weights do not depend on strides, so a
 * pre-trained encoder keeps them; the returned spec records the change for rebuilding.
 */
export function withLastStride(encoder: ResNet3d, spec: ModelSpec, lastStride: number): { encoder: ResNet3d; spec: ModelSpec } {
  const strides = encoder.config.spatialStrides;
  if (strides[strides.length - 1] === lastStride) return { encoder, spec };
  const spatialStrides = [...strides.slice(0, -1), lastStride];
  const out: ModelSpec = { arch: spec.arch, overrides: { ...spec.overrides, spatialStrides } };
  const rebuilt = createModel(out.arch, { ...out.overrides, numClasses: 0 });
  const sd = encoder.stateDict();
  try {
    rebuilt.loadStateDict(sd);
  } finally {
    sd.forEach((t) => t.dispose());
  }
  return { encoder: rebuilt, spec: out };
}

function checkMeta(file: string, m: unknown): DetectorMeta {
  const d = m as Partial<DetectorMeta> | undefined;
  const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
  const c = d?.clip;
  const ok = d && ints(d.classes) && d.classes!.length > 0 && Array.isArray(d.names) && d.names.length === d.classes!.length
    && Number.isInteger(d.resolution) && d.resolution! > 0 && typeof d.dropout === 'number' && d.dropout >= 0 && d.dropout < 1
    && c && [c.frames, c.stride, c.size].every((v) => Number.isInteger(v) && v > 0) && typeof c.timeOffset === 'number';
  if (!ok) throw new Error(`${file}: not a detector checkpoint (metadata "detector" with classes, names, resolution, dropout and clip missing or malformed)`);
  return d as DetectorMeta;
}

/** Rebuilds a saved detector (file, or a directory holding detector.safetensors), weights loaded strictly. */
export function loadActionDetector(file: string): { model: ActionDetector; spec: ModelSpec; meta: DetectorMeta; file: string } {
  const ck = readCheckpoint(file);
  try {
    const meta = checkMeta(ck.file, ck.meta.detector);
    const encoder = createModel(ck.meta.model.arch, { ...ck.meta.model.overrides, numClasses: 0 });
    const model = new ActionDetector(encoder, meta.classes.length, { resolution: meta.resolution, dropout: meta.dropout });
    const enc = sectionOf(ck.tensors, 'encoder'), head = sectionOf(ck.tensors, 'head');
    if (enc.size === 0 || head.size === 0) throw new Error(`${ck.file}: a detector checkpoint needs "encoder.*" and "head.*" weights`);
    try {
      model.encoder.loadStateDict(enc);
      model.head.loadStateDict(head);
    } catch (e) {
      throw new Error(`${ck.file}: ${(e as Error).message}`);
    }
    return { model, spec: ck.meta.model, meta, file: ck.file };
  } finally {
    ck.tensors.forEach((t) => t.dispose());
  }
}
