/**
 * `cvrl detect train` as a library call: an encoder (checkpoint or random init) with a RoI action
 * head trained on AVA keyframes. OUT gets detector.safetensors (encoder + head, with the label map
 * and clip settings), metrics.jsonl per epoch, TensorBoard events per step, metrics.json and summary.md.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { setNumThreads } from '../torch/runtime.js';
import { EventWriter } from '../formats/tensorboard.js';
import { Progress } from '../train/progress.js';
import { openEncoder, describeEncoder, type EncoderSourceOptions } from './encoder-source.js';
import { epochLog, writeEvalOutput } from './output.js';
import { ActionDetector, withLastStride, type DetectorMeta } from '../eval/detection/action-detector.js';
import { openAvaKeyframes } from '../eval/detection/ava-keyframes.js';
import { trainDetector, DETECT_TRAIN_DEFAULTS, type DetectorTrainOptions, type DetectorTrainResult } from '../eval/detection/train-detector.js';

/**
 * Clip settings when neither the options nor the encoder's checkpoint give them: CPU-sized. At 64 the
 * synthetic set's people are a few feature cells and its pulse class stays near chance; 96 learns it.
 */
export const DETECT_CLIP_DEFAULTS = { frames: 8, stride: 2, size: 96 };

export interface DetectTrainJob {
  out: string;
  encoder: EncoderSourceOptions;
  /** Folder holding `<video_id>.<ext>` videos. */
  videos: string;
  annotations: string;
  labelMap: string;
  exclusions?: string;
  /** Missing values come from the checkpoint's pre-training config, then DETECT_CLIP_DEFAULTS. */
  clip?: { frames?: number; stride?: number; size?: number };
  /** Seconds subtracted from timestamps (900 for AVA's 15-minute cuts). */
  timeOffset?: number;
  /** Spatial stride of the encoder's last stage (default 1, as SlowFast's AVA models). */
  lastStride?: number;
  /** Head settings: RoIAlign side (7) and dropout (0.2). */
  resolution?: number;
  dropout?: number;
  train?: Pick<DetectorTrainOptions, 'epochs' | 'batchSize' | 'lr' | 'momentum' | 'weightDecay' | 'warmupEpochs' | 'freezeEncoder'>;
  threads?: number;
  parallelism?: number;
  seed?: number;
  /** No progress line. */
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface DetectTrainResult {
  checkpoint: string;
  metrics: Record<string, unknown>;
}

export async function runDetectTrain(o: DetectTrainJob): Promise<DetectTrainResult> {
  setNumThreads(o.threads ?? availableParallelism());
  const log = o.log ?? (() => undefined);
  const seed = o.seed ?? 0;
  const set = await openAvaKeyframes({ videos: o.videos, annotations: o.annotations, labelMap: o.labelMap, exclusions: o.exclusions });
  const src = openEncoder({ seed, ...o.encoder });
  const { encoder, spec } = withLastStride(src.encoder, src.spec, o.lastStride ?? 1);
  const clip = {
    frames: o.clip?.frames ?? src.clip.frames ?? DETECT_CLIP_DEFAULTS.frames,
    stride: o.clip?.stride ?? src.clip.stride ?? DETECT_CLIP_DEFAULTS.stride,
    size: o.clip?.size ?? src.clip.size ?? DETECT_CLIP_DEFAULTS.size,
    timeOffset: o.timeOffset ?? 0,
  };
  const meta: DetectorMeta = {
    classes: set.classes, names: set.classes.map((c) => set.labelMap.get(c)!), resolution: o.resolution ?? 7, dropout: o.dropout ?? 0.2, clip,
  };
  // withLastStride may rebuild the encoder on the CPU: the whole detector follows the source's device.
  const model = new ActionDetector(encoder, set.classes.length, { resolution: meta.resolution, dropout: meta.dropout }).to(src.encoder.device);
  const boxes = set.keyframes.reduce((s, k) => s + k.boxes.length, 0);
  log(`detect train: ${set.keyframes.length} keyframes, ${boxes} boxes, ${set.classes.length} classes; ${src.randomInit ? `random ${spec.arch}` : src.checkpoint}; clips ${clip.frames} x ${clip.stride} at ${clip.size}`);
  mkdirSync(o.out, { recursive: true });
  const epochs = epochLog(o.out);
  const tb = new EventWriter(o.out);
  const progress = new Progress(process.stderr, 10, o.quiet ?? false);
  const t0 = performance.now();
  let waitMs = 0, computeMs = 0, clips = 0;
  let r: DetectorTrainResult;
  try {
    r = await trainDetector(model, set, {
      ...clip, ...o.train, seed, parallelism: o.parallelism,
      // Warnings go between progress lines, or to stderr when there are none.
      onSkip: (m) => (o.quiet ? console.warn(`cvrl: ${m}`) : progress.message(`cvrl: ${m}`)),
      onStep: (s) => {
        waitMs += s.waitMs;
        computeMs += s.computeMs;
        clips += s.keyframes;
        const elapsed = (performance.now() - t0) / 1000;
        tb.scalars(s.step, { 'train/loss': s.loss, 'train/lr': s.lr });
        progress.update({
          step: s.step, total: s.totalSteps, epoch: s.epoch, loss: s.loss, lr: s.lr, clipsPerSec: clips / elapsed,
          dataWaitShare: waitMs / (waitMs + computeMs), etaSec: ((s.totalSteps - s.step) * elapsed) / s.step,
        });
      },
      onEpoch: (e) => {
        epochs.write({ ...e });
        tb.scalars(e.step, { 'epoch/loss': e.loss });
      },
    });
  } finally {
    tb.close();
    progress.done();
  }
  const checkpoint = join(o.out, 'detector.safetensors');
  model.save(checkpoint, spec, meta, { encoderSource: describeEncoder(src) });
  const last = r.epochs[r.epochs.length - 1];
  const metrics = {
    command: 'detect train',
    encoder: { ...describeEncoder(src), spec },
    data: { videos: o.videos, annotations: o.annotations, labelMap: o.labelMap, exclusions: o.exclusions ?? null },
    clip, head: { resolution: meta.resolution, dropout: meta.dropout },
    train: { ...DETECT_TRAIN_DEFAULTS, ...Object.fromEntries(Object.entries(o.train ?? {}).filter(([, v]) => v !== undefined)), seed },
    classNames: Object.fromEntries(set.classes.map((c, i) => [String(c), meta.names[i]])),
    keyframes: set.keyframes.length, boxes, skipped: { ...set.skipped, badVideos: r.badVideos, unusableKeyframes: r.skippedKeyframes },
    loss: last.loss, seconds: (performance.now() - t0) / 1000, checkpoint,
  };
  const summary = [
    '# Action detector training', '', `${set.keyframes.length} keyframes, ${boxes} boxes, ${r.epochs.length} epochs: loss ${r.epochs[0].loss.toFixed(4)} -> ${last.loss.toFixed(4)} in ${metrics.seconds.toFixed(0)} s.`,
    '', `Checkpoint: ${checkpoint}`, '',
  ].join('\n');
  writeEvalOutput(o.out, metrics, summary);
  log(`detect train: loss ${r.epochs[0].loss.toFixed(4)} -> ${last.loss.toFixed(4)} in ${metrics.seconds.toFixed(0)} s; wrote ${checkpoint}`);
  return { checkpoint, metrics };
}
