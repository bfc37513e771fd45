/** The R3D model family, heads, and the model registry. */
export { ResNet3d, type ResNet3dConfig, type StemConfig } from './resnet3d.js';
export { BasicBlock, Bottleneck, type ConvKind, type ConvSpec, type ClipShape, type Cost } from './blocks.js';
export { createModel, listModels, modelConfig, type ModelOverrides } from './registry.js';
export { ProjectionHead, LinearClassifier, FineTuneHead, type ProjectionHeadOptions } from './heads.js';
export { exportOnnx, type OnnxExportOptions } from './onnx-export.js';
export {
  readCheckpoint, writeCheckpoint, resolveCheckpoint, loadEncoder, saveEncoder, section, sectionOf,
  type Checkpoint, type CheckpointMeta, type ModelSpec,
} from './checkpoint.js';
export { modelSummary, type ModelSummary, type SummaryOptions } from './summary.js';
export { loadPlainWeights, type PlainWeightsOptions, type PlainWeights } from './plain-weights.js';
export { exportModel, type ExportOptions } from './export.js';
