/**
 * The end-to-end demo: synthesise a motion-defined dataset, pre-train a small encoder with CVRL,
 * then linear-probe its frozen features and those of a randomly initialised encoder of the same
 * architecture. Sized for a 2-core CPU (see configs/cpu-demo.yaml for the recipe and why).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesizeDataset } from '../video/synth.js';
import { openDataset } from '../video/dataset.js';
import { VideoCache } from '../video/loader.js';
import { createModel } from '../models/registry.js';
import { loadEncoder } from '../models/checkpoint.js';
import { manualSeed } from '../torch/runtime.js';
import { resolveConfig, type PretrainConfig } from '../train/config.js';
import { pretrain } from '../train/pretrain.js';
import { extractEmbeddings } from './extract.js';
import { linearProbeOnFeatures } from './linear-probe.js';

export interface DemoOptions {
  out?: string;
  /** Config file for the pre-training recipe (default configs/cpu-demo.yaml). */
  config?: string;
  classes?: number;
  videosPerClass?: number;
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface DemoRow {
  encoder: string;
  top1: number;
  top5: number;
  trainTop1: number;
}

export interface DemoResult {
  out: string;
  rows: DemoRow[];
  pretrain: { steps: number; finalLoss: number; clipsPerSec: number; seconds: number };
  seconds: number;
}

/** configs/cpu-demo.yaml of this package (found from src/ under tsx and from dist/src/ when built). */
export function demoConfigFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const f = join(dir, 'configs', 'cpu-demo.yaml');
    if (existsSync(f)) return f;
  }
  throw new Error('configs/cpu-demo.yaml not found next to the cvrl package');
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const log = o.log ?? ((l: string) => console.log(l));
  const out = resolve(o.out ?? 'runs/demo');
  const data = join(out, 'data');
  mkdirSync(out, { recursive: true });
  const classes = o.classes ?? 6;
  if (!existsSync(join(data, 'annotations', 'classInd.txt'))) {
    log(`demo: rendering a synthetic dataset of ${classes} motion classes in ${data}`);
    await synthesizeDataset({ out: data, format: 'ucf101', classes, videosPerClass: o.videosPerClass ?? 100, frames: 40, size: 64, seed: 0 });
  }
  const runDir = join(out, 'pretrain');
  const config: PretrainConfig = resolveConfig({ data, format: 'ucf101', annotations: join(data, 'annotations'), split: 1, out: runDir }, o.config ?? demoConfigFile());
  const resume = existsSync(join(runDir, 'checkpoints'));
  log(`demo: ${resume ? 'resuming' : 'starting'} CVRL pre-training of ${config.arch} in ${runDir}`);
  const tp = performance.now();
  const pre = await pretrain({ config, resume, quiet: o.quiet });
  const preSeconds = (performance.now() - tp) / 1000;

  log('demo: linear probe on frozen features (CVRL encoder and a random encoder of the same architecture)');
  const ann = join(data, 'annotations');
  const train = openDataset({ data, format: 'ucf101', annotations: ann, split: 1 });
  const test = openDataset({ data, format: 'ucf101', annotations: ann, split: 1, subset: 'test' });
  const ev = { frames: config.frames, stride: config.stride, size: config.size, decodeShortSide: config.decodeShortSide, temporalViews: 4, spatialViews: 1 as const };
  const cache = new VideoCache();
  const probe = async (name: string, encoder: ReturnType<typeof createModel>): Promise<DemoRow> => {
    const tr = await extractEmbeddings(encoder, train, ev, cache);
    const te = await extractEmbeddings(encoder, test, ev, cache);
    const r = linearProbeOnFeatures(tr, te, train.classes.length, { seed: config.seed });
    return { encoder: name, top1: r.top1, top5: r.top5, trainTop1: r.trainTop1 };
  };
  const rows = [await probe('CVRL (pre-trained)', loadEncoder(runDir).encoder)];
  manualSeed(config.seed + 1);
  rows.push(await probe('random init', createModel(config.arch, config.width !== undefined ? { width: config.width } : {})));

  const table = [
    `| encoder | linear top-1 | linear top-5 | train top-1 |`,
    `|---|---|---|---|`,
    ...rows.map((r) => `| ${r.encoder} | ${r.top1.toFixed(1)} | ${r.top5.toFixed(1)} | ${r.trainTop1.toFixed(1)} |`),
  ].join('\n');
  const result: DemoResult = {
    out, rows,
    pretrain: { steps: pre.steps, finalLoss: pre.finalLoss, clipsPerSec: pre.clipsPerSec, seconds: preSeconds },
    seconds: (performance.now() - t0) / 1000,
  };
  writeFileSync(join(out, 'metrics.json'), JSON.stringify(result, null, 2));
  const summary = `${table}\n\n${train.classes.length} motion classes (${train.classes.join(', ')}), ${train.items.length} train / ${test.items.length} test videos (split 1).\n` +
    `Pre-training: ${pre.steps} steps, final loss ${pre.finalLoss.toFixed(3)}, ${pre.clipsPerSec.toFixed(1)} clips/s, ${preSeconds.toFixed(0)} s. Total ${result.seconds.toFixed(0)} s.\n` +
    `Explore: ${runDir}/metrics.jsonl, tensorboard --logdir ${runDir}, cvrl export --checkpoint ${runDir} --format onnx --out encoder.onnx\n`;
  writeFileSync(join(out, 'summary.md'), summary);
  log(`\n${summary}`);
  return result;
}
