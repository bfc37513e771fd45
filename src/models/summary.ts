/** Model summary: parameter counts, feature sizes and analytic compute for a named architecture. */
import { createModel, type ModelOverrides } from './registry.js';
import { namingOptions } from '../util/option-error.js';

export interface SummaryOptions {
  arch: string;
  width?: number;
  frames?: number;
  size?: number;
  batch?: number;
  overrides?: ModelOverrides;
}

export interface ModelSummary {
  arch: string;
  width: number;
  input_shape: number[];
  /** Backbone parameters including BatchNorm affine parameters, no head. */
  params: number;
  trainable_params: number;
  feature_dim: number;
  /** Last feature map [B, D, T', H', W']. */
  feature_map_shape: number[];
  output_shape: number[];
  /** Forward compute per clip, counting one multiply-add as one FLOP (the fvcore / SlowFast convention). */
  gflops: number;
  stage_shapes: number[][];
}

export function modelSummary(o: SummaryOptions): ModelSummary {
  const frames = o.frames ?? 16, size = o.size ?? 224, batch = o.batch ?? 1;
  for (const [k, v] of Object.entries({ frames, size, batch })) {
    if (!Number.isInteger(v) || v < 1) throw namingOptions(new RangeError(`${k} must be a positive integer, got ${v}`), k);
  }
  const model = createModel(o.arch, { ...o.overrides, ...(o.width !== undefined ? { width: o.width } : {}), numClasses: 0 });
  try {
    const cost = model.cost(frames, size, size);
    const params = model.encoderParameterCount();
    return {
      arch: o.arch,
      width: model.config.width,
      input_shape: [batch, 3, frames, size, size],
      params,
      trainable_params: model.numParameters({ trainableOnly: true }),
      feature_dim: model.featureDim,
      feature_map_shape: [batch, ...cost.shape],
      output_shape: [batch, model.featureDim],
      gflops: Math.round(cost.macs / 1e7) / 100,
      stage_shapes: cost.stageShapes.map((s) => [batch, ...s]),
    };
  } finally {
    for (const p of model.parameters()) p.dispose();
    for (const b of model.buffers()) b.dispose();
  }
}
