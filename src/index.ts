/**
 * cvrl: self-supervised video representation learning (CVRL) for TypeScript and Node.js.
 *
 * The public API. Every command of the `cvrl` CLI is one of these functions with the same options
 * object; the namespaces (`torch`, `nn`, `optim`, `models`, `video`) hold the building blocks.
 *
 * @example
 * ```ts
 * import { loadPlainWeights, embedVideo, resolveConfig, pretrain } from 'cvrl';
 * const { encoder } = loadPlainWeights('r3d_18.safetensors', { arch: 'r3d_18' });   // torchvision weights
 * const { features } = await embedVideo('clip.mp4', encoder, { frames: 16, stride: 2, size: 112 });
 * await pretrain({ config: resolveConfig({ data: 'videos', format: 'folder', out: 'runs/a' }) });
 * ```
 */
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as models from './models/index.js';
export * as video from './video/index.js';
export { Tensor } from './torch/tensor.js';
export { Module } from './nn/module.js';
export { packageVersion as version } from './util/package-root.js';

// Models: builders, checkpoints, plain PyTorch weights, export.
export { createModel, listModels, modelConfig, type ModelOverrides } from './models/registry.js';
export { ResNet3d, type ResNet3dConfig } from './models/resnet3d.js';
export { ProjectionHead, LinearClassifier, FineTuneHead } from './models/heads.js';
export { loadEncoder, saveEncoder, readCheckpoint, resolveCheckpoint, type Checkpoint, type CheckpointMeta, type ModelSpec } from './models/checkpoint.js';
export { loadPlainWeights, type PlainWeightsOptions, type PlainWeights } from './models/plain-weights.js';
export { exportModel, type ExportOptions } from './models/export.js';
export { exportOnnx, type OnnxExportOptions } from './models/onnx-export.js';
export { modelSummary, type ModelSummary } from './models/summary.js';

// Video input: probing, decoding, datasets, the loader, synthetic data.
export { probeVideo, decodeClips, writeVideo, videoLimits, setVideoLimits, type VideoInfo, type VideoLimits, type DecodeOptions, type DecodedClips } from './video/io.js';
export { openDataset, DATASET_FORMATS, DatasetError, type DatasetFormat, type DatasetOptions, type VideoDataset, type VideoItem } from './video/dataset.js';
export { VideoLoader, VideoCache, type LoaderOptions, type LoaderMode, type Batch, type LoaderStats } from './video/loader.js';
export { synthesizeDataset, type SynthOptions } from './video/synth.js';
export { synthesizeAva, avaSynthVideo, type AvaSynthOptions } from './video/synth-ava.js';

// CVRL: the loss and the model trained with it.
export { ntXent, globalNtXent, type NtXentOptions } from './ssl/ntxent.js';
export { decorrelationLoss } from './ssl/decorrelation.js';
export { CvrlModel } from './ssl/cvrl-model.js';

// Pre-training: config resolution, the loop, distributed set-up.
export { resolveConfig, loadConfigFile, PretrainConfigSchema, type PretrainConfig } from './train/config.js';
export { resolvePrecision, cpuHasNativeBf16, PRECISIONS, type Precision } from './torch/precision.js';
export { pretrain, TrainingDiverged, type PretrainOptions, type PretrainResult } from './train/pretrain.js';
export { initDistributed, type DistributedContext } from './train/distributed.js';
export { useSyncBatchNorm } from './nn/batchnorm.js';
export { launchLocal, type LaunchOptions, type LaunchResult } from './train/launch.js';

// Evaluation on an encoder in memory (datasets in, results out; nothing written).
export { linearEval, type LinearEvalOptions, type LinearEvalResult } from './eval/linear-eval.js';
export { finetune, VideoClassifier, type FinetuneOptions, type FinetuneResult } from './eval/finetune.js';
export { retrieval, nearestNeighbors, type RetrievalOptions, type RetrievalResult } from './eval/retrieval.js';
export { knnMonitor, type EncoderMonitor } from './eval/knn-monitor.js';
export { knnScores, recallAtK, topK, classificationReport, type ClassificationReport } from './eval/metrics.js';
export { videoFeatures, extractEmbeddings, meanView, type ExtractOptions, type VideoFeatures, type Embeddings } from './eval/extract.js';
export { embedVideo, type EmbedVideoOptions, type VideoEmbedding } from './eval/embed-video.js';
export { labelFractionSubset } from './eval/label-fraction.js';
export { readEmbeddings } from './eval/embedding-file.js';
export { scoreAva, type AvaScore, type AvaScoreInput } from './eval/detection/ava-map.js';
export { RoiActionHead, encoderSpatialStride } from './eval/detection/roi-head.js';
export { keyframeClipStart } from './eval/detection/ava-clips.js';

// The evaluation commands as library calls: open the encoder and data, run, write metrics.json into `out`.
export { runLinearEval, runFinetune, type LinearEvalJob, type FinetuneJob, type ClassificationMetrics } from './jobs/run-classification.js';
export { runEmbed, runRetrieve, type EmbedJob, type EmbedResult, type RetrieveJob } from './jobs/run-embedding.js';
export { runEmbedFiles, type EmbedFilesJob, type EmbedFilesResult, type EmbeddedFile } from './jobs/embed-files.js';
export { openEncoder, type EncoderSourceOptions, type EncoderSource } from './jobs/encoder-source.js';
export { type EvalJobOptions } from './jobs/job.js';

// Reports and end-to-end programs.
export { renderReport, writeReport, ReportError, type ReportOptions, type Report } from './report/index.js';
export { runDemo, type DemoOptions, type DemoResult } from './apps/demo.js';
export { runStudy, type StudyOptions, type StudyResult } from './apps/study.js';
