/** What the linear probe and fine-tuning share: clip settings, training knobs, training-clip augmentation, epoch records. */
import { cropFlipConfig, type AugmentConfig } from '../video/augment-params.js';
import { type MultiViewResult } from './classify.js';

export interface ClipOptions {
  frames: number;
  stride: number;
  size: number;
  decodeShortSide?: number;
}

export interface EpochRecord {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  train_top1: number;
  seconds: number;
}

export interface SupervisedOptions extends ClipOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Smallest crop area (fraction of the frame) of the training augmentation. */
  cropAreaMin?: number;
  /** Horizontal flip probability of the training clips (0 when classes depend on left vs right). */
  flipProb?: number;
  temporalViews?: number;
  spatialViews?: 1 | 3;
  seed?: number;
  parallelism?: number;
  /** MiB of whole decoded training videos kept across epochs (default 1024; 0: decode every sample). */
  frameCacheMb?: number;
  onEpoch?: (r: EpochRecord) => void;
  log?: (line: string) => void;
}

export interface SupervisedResult extends MultiViewResult {
  /** Top-1 on the training clips of the last epoch, as trained (augmented, dropout on). */
  trainTop1: number;
  trainVideos: number;
}

/** Training-clip augmentation of the supervised protocols: random resized crop of this minimum area, and flip. */
export function trainAugment(size: number, cropAreaMin = 0.3, flipProb = 0.5): AugmentConfig {
  if (!(cropAreaMin > 0 && cropAreaMin <= 1)) throw new RangeError(`cropAreaMin must be in (0, 1], got ${cropAreaMin}`);
  if (!(flipProb >= 0 && flipProb <= 1)) throw new RangeError(`flipProb must be in [0, 1], got ${flipProb}`);
  return cropFlipConfig(size, { cropArea: [cropAreaMin, 1], flipProb });
}
