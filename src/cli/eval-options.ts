/** Flags shared by the evaluation commands (encoder, dataset, clips, views, run) and their parsing. */
import { type Command, InvalidArgumentError } from 'commander';
import { DATASET_FORMATS, type DatasetFormat } from '../video/dataset.js';
import { type EvalJobOptions } from '../jobs/job.js';
import { type EvalDataSpec } from '../eval/eval-data.js';
import { nonNegativeInt, positiveInt, positiveNumber, UsageError } from './parse.js';

/** Parsed flags: the dataset spec (with --format still unchecked), encoder, clip, view and run settings. */
export interface EvalFlags extends Omit<EvalDataSpec, 'format'> {
  format: string;
  checkpoint?: string;
  weights?: string;
  arch?: string;
  width?: number;
  randomInit?: boolean;
  frames?: number;
  stride?: number;
  size?: number;
  decodeShortSide?: number;
  temporalViews?: number;
  spatialViews?: number;
  batch?: number;
  parallelism?: number;
  frameCacheMb?: number;
  threads?: number;
  device?: string;
  seed: number;
  out: string;
  quiet?: boolean;
}

function splitArg(v: string): number | 'all' {
  if (v === 'all') return 'all';
  const n = Number(v);
  if (![1, 2, 3].includes(n)) throw new InvalidArgumentError(`--split must be 1, 2, 3 or all, got '${v}'`);
  return n;
}

function spatialArg(v: string): number {
  if (v !== '1' && v !== '3') throw new InvalidArgumentError(`--spatial-views must be 1 or 3, got '${v}'`);
  return Number(v);
}

/**
 * Adds the shared flags; `views` gives the command's default temporal x spatial test views. With
 * `dataOptional` (embed, which also takes video files) --data, --format and --out are not required;
 * `training` (linear-eval, finetune) adds the training loader's --frame-cache-mb.
 */
export function addEvalOptions(cmd: Command, views: { temporal: number; spatial: 1 | 3 }, o: { dataOptional?: boolean; training?: boolean } = {}): Command {
  const need = (c: Command, flags: string, description: string) => (o.dataOptional ? c.option(flags, description) : c.requiredOption(flags, description));
  cmd
    .option('--checkpoint <path>', 'encoder checkpoint: a .safetensors file or a run directory (its latest checkpoint)')
    .option('--weights <file>', 'a plain PyTorch state dict (.safetensors, e.g. torchvision r3d_18/mc3_18/r2plus1d_18; fc.* is dropped) of --arch')
    .option('--arch <name>', 'architecture of --weights, or of a randomly initialised encoder (with --random-init)')
    .option('--width <x>', 'width multiplier for --arch', positiveNumber('--width'))
    .option('--random-init', 'random encoder weights (the random-encoder baseline)');
  need(cmd, '--data <root>', 'folder holding the videos');
  need(cmd, '--format <fmt>', `dataset layout: ${DATASET_FORMATS.join(', ')}`);
  cmd.option('--annotations <path>', 'annotation file or folder (list CSV, UCF/HMDB split folder, Kinetics CSV)')
    .option('--split <n>', 'official split 1-3, or all (UCF-101/HMDB-51: per-split and mean scores)', splitArg)
    .option('--test-data <root>', 'test videos, when not inside --data (folder, list formats)')
    .option('--test-annotations <path>', 'test annotations, when separate (list format, Kinetics val CSV)')
    .option('--train-subset <name>', 'Kinetics: split-column value of the training rows (default train)')
    .option('--test-subset <name>', 'Kinetics: split-column value of the test rows (default val)')
    .option('--frames <n>', 'frames per clip (default: the checkpoint\'s pre-training value, else 16)', positiveInt('--frames'))
    .option('--stride <n>', 'temporal stride (default: from the checkpoint, else 2)', positiveInt('--stride'))
    .option('--size <n>', 'crop size (default: from the checkpoint, else 112)', positiveInt('--size'))
    .option('--decode-short-side <n>', 'short side frames are resized to before cropping (default size x 8/7)', positiveInt('--decode-short-side'))
    .option('--temporal-views <n>', `evenly spaced clips per test video (default ${views.temporal})`, positiveInt('--temporal-views'))
    .option('--spatial-views <n>', `1 (centre) or 3 (left/centre/right) crops per clip (default ${views.spatial})`, spatialArg)
    .option('--batch <n>', 'videos per batch', positiveInt('--batch'))
    .option('--parallelism <n>', 'videos decoded at once', positiveInt('--parallelism'))
    .option('--threads <n>', 'libtorch intra-op threads (default: all cores)', positiveInt('--threads'))
    .option('--device <d>', 'cpu (default), cuda or cuda:N: where the encoder runs (clips are decoded on the CPU)')
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 0);
  if (o.training) cmd.option('--frame-cache-mb <n>', 'MiB of whole decoded training videos kept across epochs (default 1024; 0: decode every sample)', nonNegativeInt('--frame-cache-mb'));
  need(cmd, '--out <dir>', 'output directory (metrics.json, summary.md, ...)');
  return cmd.option('--quiet', 'no progress output');
}

export function evalJob(f: EvalFlags, views: { temporal: number; spatial: 1 | 3 }): EvalJobOptions {
  if (!DATASET_FORMATS.includes(f.format as DatasetFormat)) throw new UsageError(`--format must be one of ${DATASET_FORMATS.join(', ')}, got '${f.format}'`);
  return {
    out: f.out,
    encoder: { checkpoint: f.checkpoint, weights: f.weights, arch: f.arch, width: f.width, randomInit: f.randomInit, seed: f.seed, device: f.device },
    data: {
      data: f.data, format: f.format as DatasetFormat, annotations: f.annotations, split: f.split,
      testData: f.testData, testAnnotations: f.testAnnotations, trainSubset: f.trainSubset, testSubset: f.testSubset,
    },
    clip: { frames: f.frames, stride: f.stride, size: f.size, decodeShortSide: f.decodeShortSide },
    temporalViews: f.temporalViews ?? views.temporal,
    spatialViews: (f.spatialViews ?? views.spatial) as 1 | 3,
    batchSize: f.batch,
    parallelism: f.parallelism,
    frameCacheMb: f.frameCacheMb,
    threads: f.threads,
    seed: f.seed,
    log: f.quiet ? undefined : (line) => console.error(line),
  };
}
