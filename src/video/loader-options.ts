/** Options, batches and statistics of the data loader (src/video/loader.ts). */
import { availableParallelism } from 'node:os';
import { type Tensor } from '../torch/tensor.js';
import { type VideoDataset } from './dataset.js';
import { type GapLaw } from './samplers.js';
import { type AugmentConfig } from './augment-params.js';
import { type Normalization } from './augment.js';

export type LoaderMode = 'pretrain' | 'train' | 'eval';

export interface LoaderOptions {
  dataset: VideoDataset;
  mode: LoaderMode;
  batchSize: number;
  /** Frames per clip and temporal stride. */
  frames: number;
  stride: number;
  /** Crop size S of the model input [B, 3, T, S, S]. */
  size: number;
  /** Decode-time resize of the short side (default round(S * 8/7), e.g. 128 for 112). */
  decodeShortSide?: number;
  /** pretrain: the two views' augmentation (default CVRL's); train: one config (default crop + flip). */
  augment?: AugmentConfig | [AugmentConfig, AugmentConfig];
  /** pretrain: clips per video (rho, default 2): two by the gap law, the rest uniform; clip k uses view config k mod count. */
  clipsPerVideo?: number;
  /** pretrain: law and power of the gap between the two clips. */
  gapLaw?: GapLaw;
  gapPower?: number;
  /** eval: temporal x spatial views per video (default 10 x 3). */
  temporalViews?: number;
  spatialViews?: 1 | 3;
  normalization?: Normalization;
  seed?: number;
  epoch?: number;
  shuffle?: boolean;
  /** Group id per dataset item (see scene-groups.ts): shuffled epochs keep each group's members together, so a batch spans few groups. */
  groups?: number[];
  dropLast?: boolean;
  /**
   * Where the spatial augmentation runs. 'workers' (default): each clip on a native worker thread
   * as soon as its frames are decoded. 'step': a batch's clips together when the consumer takes the
   * batch, on the calling thread and libtorch's intra-op threads. On a CPU that also runs the model,
   * 'step' keeps the augmentation off the cores while the step's threads work (workers preempting
   * them make their partners spin); on a GPU or spare cores, 'workers' overlaps it with the step
   * (see augmentOnFor).
   */
  augmentOn?: 'workers' | 'step';
  /** Videos decoded at once (native worker threads). */
  parallelism?: number;
  /** Batches prepared ahead of the consumer. */
  prefetch?: number;
  /** Skip this many batches at the start of the epoch (resuming mid-epoch); past the epoch's end, into the next ones. */
  startBatch?: number;
  /**
   * Epochs to iterate from `epoch` on (default 1; Infinity: until the consumer stops). One loader
   * over several epochs keeps its prefetch window full across their boundaries, so that an epoch's
   * first batches are prepared during the previous one's last steps.
   */
  epochs?: number;
  rank?: number;
  worldSize?: number;
  /** Replacement attempts for one slot before giving up on the dataset. */
  maxBadRetries?: number;
  /** Deadline of each probe or decode in ms (default: videoLimits().timeoutMs); a stalled file is reported as unreadable. */
  timeoutMs?: number;
  /** Called once per unreadable file (default: a warning on stderr). */
  onBadVideo?: (path: string, reason: string) => void;
}

export interface Batch {
  /** pretrain: clipsPerVideo views [B, 3, T, S, S]; train: one view; eval: [B * V, 3, T, S, S] (V views per video, video-major). */
  views: Tensor[];
  /** Labels per video (-1 when unlabelled). */
  labels: number[];
  /** Dataset indices of the videos. */
  indices: number[];
  /** eval: views per video. */
  viewsPerVideo: number;
  /** The batch's epoch and its position in it. */
  epoch: number;
  batchInEpoch: number;
}

export interface LoaderStats {
  samples: number;
  badVideos: number;
  retriedDecodes: number;
  /** Time the consumer waited for batches. */
  dataWaitMs: number;
}

/**
 * Where the loader augments, for a setting: 'auto' is 'step' where the model runs on the CPU and the
 * compute threads of this machine's training processes take every core (a worker thread there
 * preempts one of them, and its partners spin meanwhile), 'workers' on a GPU or where cores are
 * spare: there the workers overlap with the step, where 'step' would make it wait for a whole
 * batch's augmentation on its few threads.
 */
export function augmentOnFor(setting: 'auto' | 'workers' | 'step', device: string, computeThreads: number, cores = availableParallelism()): 'workers' | 'step' {
  if (setting !== 'auto') return setting;
  return device === 'cpu' && computeThreads >= cores ? 'step' : 'workers';
}
