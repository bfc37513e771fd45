/** Video input pipeline: probing, frame-exact decoding, samplers, augmentation, datasets, loader, synthetic data. */
export { probeVideo, decodeClips, writeVideo, videoLimits, setVideoLimits, type VideoInfo, type VideoLimits, type ProbeOptions, type DecodeOptions, type DecodeSize, type DecodedClips, type WriteOptions, type VideoCodec } from './io.js';
export { Rng } from './rng.js';
export { validStarts, sampleClipPair, sampleRandomClip, uniformClipStarts, cvrlGapCdf, type GapLaw, type PairOptions, type ClipPair, type ClipSpan } from './samplers.js';
export { cvrlViewConfigs, cropFlipConfig, sampleParams, sampleClipParams, sampleCrop, validateAugment, type AugmentConfig, type ClipParams, type CropBox } from './augment-params.js';
export { augmentClipAsync, augmentClipsNow, evalCrops, normalizeClip, KINETICS_NORM, type Normalization, type AugmentJob } from './augment.js';
export { openDataset, resolveInside, DATASET_FORMATS, VIDEO_EXTENSIONS, DatasetError, type DatasetFormat, type DatasetOptions, type VideoDataset, type VideoItem } from './dataset.js';
export { VideoLoader, VideoCache, type LoaderOptions, type LoaderMode, type Batch, type LoaderStats } from './loader.js';
export { synthesizeDataset, renderVideo, MOTION_CLASSES, type SynthOptions } from './synth.js';
export { synthesizeAva, avaSynthVideo, AVA_SYNTH_ACTIONS, type AvaSynthOptions, type AvaSynthResult, type AvaSynthPerson } from './synth-ava.js';
