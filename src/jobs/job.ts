/** What every evaluation command shares: its options, the clip settings and the metrics header. */
import { TEST_VIEWS } from '../video/samplers.js';
import { availableParallelism } from 'node:os';
import { setNumThreads } from '../torch/runtime.js';
import { type EncoderSource, type EncoderSourceOptions, describeEncoder } from './encoder-source.js';
import { type EvalDataSpec } from '../eval/eval-data.js';
import { type ClipOptions } from '../eval/supervised.js';

export interface EvalJobOptions {
  out: string;
  encoder: EncoderSourceOptions;
  data: EvalDataSpec;
  /** Clip settings; missing ones come from the checkpoint's pre-training config, then 16 x 2 at 112. */
  clip?: Partial<ClipOptions>;
  temporalViews?: number;
  spatialViews?: 1 | 3;
  batchSize?: number;
  parallelism?: number;
  /** MiB of whole decoded training videos kept across epochs (linear-eval, finetune; default 1024). */
  frameCacheMb?: number;
  threads?: number;
  seed?: number;
  log?: (line: string) => void;
}

export function resolveClip(o: Pick<EvalJobOptions, 'clip'>, src: EncoderSource): ClipOptions {
  const pick = <K extends keyof ClipOptions>(k: K, d: ClipOptions[K]): ClipOptions[K] => o.clip?.[k] ?? src.clip[k] ?? d;
  return { frames: pick('frames', 16), stride: pick('stride', 2), size: pick('size', 112), decodeShortSide: pick('decodeShortSide', undefined) };
}

/** libtorch defaults to one intra-op thread here: use every core unless told otherwise. */
export function startJob(o: Pick<EvalJobOptions, 'threads'>): void {
  setNumThreads(o.threads ?? availableParallelism());
}

/** The part of metrics.json that says what was evaluated and how. */
export function jobHeader(command: string, o: EvalJobOptions, src: EncoderSource, clip: ClipOptions): Record<string, unknown> {
  return {
    command,
    encoder: describeEncoder(src),
    data: o.data,
    clip,
    views: { temporal: o.temporalViews ?? TEST_VIEWS.temporal, spatial: o.spatialViews ?? TEST_VIEWS.spatial },
  };
}
