/** `cvrl detect train` and `cvrl detect eval`: thin faces over runDetectTrain and runDetectEval. */
import { type Command, InvalidArgumentError } from 'commander';
import { runDetectTrain, DETECT_CLIP_DEFAULTS } from '../jobs/run-detect-train.js';
import { runDetectEval } from '../jobs/run-detect-eval.js';
import { DETECT_TRAIN_DEFAULTS as D } from '../eval/detection/train-detector.js';
import { nonNegative, positiveInt, positiveNumber } from './parse.js';

function fraction(flag: string, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !(n >= 0 && (max === 1 ? n <= 1 : n < max))) throw new InvalidArgumentError(`${flag} must be in [0, ${max}${max === 1 ? ']' : ')'}, got '${v}'`);
    return n;
  };
}

function seedArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be a non-negative integer, got '${v}'`);
  return n;
}

interface TrainFlags {
  checkpoint?: string; arch?: string; width?: number; randomInit?: boolean;
  data: string; annotations: string; labelMap: string; exclusions?: string; out: string;
  epochs: number; lr: number; batch: number; freezeEncoder?: boolean; weightDecay: number; warmupEpochs: number; dropout: number;
  frames?: number; stride?: number; size?: number; lastStride: number; timeOffset: number;
  threads?: number; device?: string; parallelism: number; seed: number; quiet?: boolean;
}

interface EvalFlags {
  model: string; out?: string; data: string; annotations: string; labelMap: string; exclusions?: string;
  personBoxes?: string; minBoxScore: number; batch: number; threads?: number; device?: string; parallelism: number; quiet?: boolean;
}

export function registerDetectRun(detect: Command): void {
  detect
    .command('train')
    .description('train a RoI action head (SlowFast-style: RoIAlign on the last feature map, sigmoid cross entropy) with its encoder on AVA keyframes')
    .option('--checkpoint <path>', 'encoder checkpoint: a .safetensors file or a run directory (its latest checkpoint)')
    .option('--arch <name>', 'architecture of a randomly initialised encoder (with --random-init), e.g. r3d_18_tiny')
    .option('--width <x>', 'width multiplier for --arch', Number)
    .option('--random-init', 'random encoder weights (with --arch; with --checkpoint: its architecture only)')
    .requiredOption('--data <dir>', 'folder holding the videos, named <video_id>.<ext> (cvrl synth --format ava: OUT/videos)')
    .requiredOption('--annotations <csv>', 'training ground truth: video_id,timestamp,x1,y1,x2,y2,action_id,person_id')
    .requiredOption('--label-map <pbtxt>', 'the classes to learn (item { name: "..." id: N })')
    .option('--exclusions <csv>', 'keyframes to leave out: video_id,timestamp')
    .requiredOption('--out <dir>', 'output folder: detector.safetensors, metrics.jsonl, TensorBoard events, metrics.json, summary.md')
    .option('--epochs <n>', 'training epochs', positiveInt('--epochs'), D.epochs)
    .option('--lr <x>', 'SGD learning rate (momentum 0.9, warm-up then cosine)', positiveNumber('--lr'), D.lr)
    .option('--batch <n>', 'keyframes per batch', positiveInt('--batch'), D.batchSize)
    .option('--freeze-encoder', 'train the head only (the encoder in eval mode, as in a linear probe)')
    .option('--weight-decay <x>', 'weight decay on kernels', nonNegative('--weight-decay'), D.weightDecay)
    .option('--warmup-epochs <n>', 'linear warm-up epochs', nonNegative('--warmup-epochs'), D.warmupEpochs)
    .option('--dropout <p>', 'dropout before the head\'s linear layer (SlowFast: 0.5)', fraction('--dropout', 0.999), 0.2)
    .option('--frames <n>', `frames per clip (default: the checkpoint's pre-training value, else ${DETECT_CLIP_DEFAULTS.frames})`, positiveInt('--frames'))
    .option('--stride <n>', `temporal stride (default: from the checkpoint, else ${DETECT_CLIP_DEFAULTS.stride})`, positiveInt('--stride'))
    .option('--size <n>', `side of the square model input every frame is resized to (default: from the checkpoint, else ${DETECT_CLIP_DEFAULTS.size})`, positiveInt('--size'))
    .option('--last-stride <n>', 'spatial stride of the encoder\'s last stage (1: a finer feature map, as SlowFast\'s AVA models)', positiveInt('--last-stride'), 1)
    .option('--time-offset <s>', 'seconds subtracted from timestamps to find frames (900 for AVA videos cut to minutes 15-30)', nonNegative('--time-offset'), 0)
    .option('--threads <n>', 'libtorch intra-op threads (default: all cores)', positiveInt('--threads'))
    .option('--device <d>', 'cpu (default), cuda or cuda:N: where the detector runs (clips are decoded on the CPU)')
    .option('--parallelism <n>', 'keyframes decoded at once', positiveInt('--parallelism'), 2)
    .option('--seed <n>', 'random seed', seedArg, 0)
    .option('--quiet', 'no progress output')
    .action(async (f: TrainFlags) => {
      if (f.lastStride > 4) throw new Error(`--last-stride must be 1..4, got ${f.lastStride}`);
      if (f.width !== undefined && !(f.width > 0)) throw new Error(`--width must be a positive number, got '${f.width}'`);
      const r = await runDetectTrain({
        out: f.out,
        encoder: { checkpoint: f.checkpoint, arch: f.arch, width: f.width, randomInit: f.randomInit, seed: f.seed, device: f.device },
        videos: f.data, annotations: f.annotations, labelMap: f.labelMap, exclusions: f.exclusions,
        clip: { frames: f.frames, stride: f.stride, size: f.size }, timeOffset: f.timeOffset, lastStride: f.lastStride, dropout: f.dropout,
        train: { epochs: f.epochs, lr: f.lr, batchSize: f.batch, freezeEncoder: f.freezeEncoder, weightDecay: f.weightDecay, warmupEpochs: f.warmupEpochs },
        threads: f.threads, parallelism: f.parallelism, seed: f.seed, quiet: f.quiet,
        log: f.quiet ? undefined : (line) => console.error(line),
      });
      console.log(JSON.stringify({ out: f.out, checkpoint: r.checkpoint, loss: r.metrics.loss }));
    });

  detect
    .command('eval')
    .description('score every box of the annotated keyframes with a trained detector; write predictions.csv and the frame-level mAP')
    .requiredOption('--model <path>', 'detect train\'s output folder (or its detector.safetensors)')
    .requiredOption('--data <dir>', 'folder holding the videos, named <video_id>.<ext>')
    .requiredOption('--annotations <csv>', 'ground truth to score against: video_id,timestamp,x1,y1,x2,y2,action_id,person_id')
    .requiredOption('--label-map <pbtxt>', 'the evaluated classes')
    .option('--exclusions <csv>', 'keyframes left out on both sides: video_id,timestamp')
    .option('--person-boxes <csv>', 'score these boxes (video_id,timestamp,x1,y1,x2,y2[,action_id],score) instead of the ground-truth boxes')
    .option('--min-box-score <x>', 'person boxes scoring below this are dropped (SlowFast: 0.9)', fraction('--min-box-score', 1), 0.9)
    .option('--out <dir>', 'output folder: predictions.csv, metrics.json, summary.md (default: MODEL/eval)')
    .option('--batch <n>', 'keyframes per batch', positiveInt('--batch'), 8)
    .option('--threads <n>', 'libtorch intra-op threads (default: all cores)', positiveInt('--threads'))
    .option('--device <d>', 'cpu (default), cuda or cuda:N: where the detector runs (clips are decoded on the CPU)')
    .option('--parallelism <n>', 'keyframes decoded at once', positiveInt('--parallelism'), 2)
    .option('--quiet', 'no log lines')
    .action(async (f: EvalFlags) => {
      const r = await runDetectEval({
        model: f.model, out: f.out, videos: f.data, annotations: f.annotations, labelMap: f.labelMap, exclusions: f.exclusions,
        personBoxes: f.personBoxes, minBoxScore: f.minBoxScore, batchSize: f.batch, threads: f.threads, device: f.device, parallelism: f.parallelism,
        log: f.quiet ? undefined : (line) => console.error(line),
      });
      console.log(JSON.stringify({ out: r.out, predictions: r.predictions, mAP: r.mAP, per_class: r.metrics.per_class }));
    });
}
