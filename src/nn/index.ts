/** Modules, layers, initialisers and weight files. */
export { Module, type StateDict, type LoadResult } from './module.js';
export { Parameter, Buffer, emptyParameter } from './parameter.js';
export { Conv3d, Conv2d, type ConvOptions } from './conv.js';
export { Linear, Identity, Flatten, Dropout, ReLU } from './linear.js';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, useSyncBatchNorm, type BatchNormOptions } from './batchnorm.js';
export { MaxPool3d, AvgPool3d, AdaptiveAvgPool3d } from './pool.js';
export { Sequential } from './sequential.js';
export * as init from './init.js';
export { loadSafetensors, saveSafetensors, serializeSafetensors } from './safetensors.js';
export {
  readSafetensorsHeader, parseHeader, SafetensorsError, MAX_HEADER_BYTES, type SafetensorsHeader, type TensorEntry,
} from '../formats/safetensors.js';
export { writeFileAtomic } from '../util/atomic-file.js';
