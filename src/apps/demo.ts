/**
 * The end-to-end demo: synthesise the group-split motion benchmark (test videos show looks never
 * seen in training), pre-train a small encoder with CVRL, then evaluate it with the evaluation
 * commands against a random encoder of the same architecture and a supervised model trained from
 * scratch, and render an HTML report. Sized for a 2-core CPU (see configs/cpu-small.yaml for the
 * recipe and why).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { synthesizeDataset } from '../video/synth.js';
import { resolveConfig, type PretrainConfig } from '../train/config.js';
import { pretrain } from '../train/pretrain.js';
import { writeReport } from '../report/index.js';
import { runBaselines, BASELINE_DIRS } from './baselines.js';
import { STUDY_DATASETS, STUDY_EPOCHS } from './study.js';

export interface DemoOptions {
  out?: string;
  /** Config file for the pre-training recipe (default configs/cpu-small.yaml). */
  config?: string;
  classes?: number;
  videosPerClass?: number;
  /** Epochs of the evaluations: linear probe, 10% fine-tuning, supervised training on all labels. */
  epochs?: { linear: number; finetune: number; supervised: number };
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface DemoRow {
  encoder: string;
  /** Linear probe on frozen features (NaN where it does not apply). */
  top1: number;
  top5: number;
  trainTop1: number;
  /** Fine-tuned on 10% of the labels (or, for the supervised row, trained on all of them). */
  finetuneTop1: number;
}

export interface DemoResult {
  out: string;
  rows: DemoRow[];
  pretrain: { steps: number; finalLoss: number; clipsPerSec: number; seconds: number };
  report: string;
  seconds: number;
}

/** configs/cpu-small.yaml of this package (a checkout, or node_modules/cvrl when installed). */
export function demoConfigFile(): string {
  const f = join(packageRoot(), 'configs', 'cpu-small.yaml');
  if (!existsSync(f)) throw new Error(`${f} not found: the cvrl package is incomplete, reinstall it`);
  return f;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

const SETTINGS_FILE = 'demo-settings.json';

/**
 * A rerun into the same directory reuses its dataset and pre-training run, so it must have been made
 * with the same settings; otherwise the table would silently describe another experiment. The
 * record is written once the dataset exists, so a run that fails before that claims nothing.
 */
function checkOutDir(out: string, settings: Record<string, unknown>): void {
  const retry = 'pass another --out, or delete the directory to start over';
  const record = join(out, SETTINGS_FILE);
  if (existsSync(record)) {
    const before = JSON.parse(readFileSync(record, 'utf8')) as Record<string, unknown>;
    const changed = Object.keys(settings).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(settings[k]));
    if (changed.length > 0) throw new Error(`${out} holds a demo made with a different ${changed.join(', ')}; ${retry}`);
  } else if (existsSync(join(out, 'data', 'annotations', 'classInd.txt')) || existsSync(join(out, 'pretrain', 'checkpoints'))) {
    throw new Error(`${out} holds a demo without a record of its settings (made by an earlier version); ${retry}`);
  }
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const log = o.log ?? ((l: string) => console.log(l));
  const out = resolve(o.out ?? 'runs/demo');
  const data = join(out, 'data');
  mkdirSync(out, { recursive: true });
  const synth = { format: 'ucf101' as const, ...STUDY_DATASETS.hard, classes: o.classes, videosPerClass: o.videosPerClass, seed: 0 };
  const configFile = o.config ?? demoConfigFile();
  const runDir = join(out, 'pretrain');
  const ann = join(data, 'annotations');
  const config: PretrainConfig = resolveConfig({ data, format: 'ucf101', annotations: ann, split: 1, out: runDir }, configFile);
  const settings = { ...synth, config: readFileSync(configFile, 'utf8') };
  checkOutDir(out, settings);
  if (!existsSync(join(ann, 'classInd.txt'))) {
    log(`demo: rendering the group-split motion benchmark in ${data}`);
    await synthesizeDataset({ out: data, ...synth });
  }
  writeFileSync(join(out, SETTINGS_FILE), JSON.stringify(settings, null, 1));
  const resume = existsSync(join(runDir, 'checkpoints'));
  log(`demo: ${resume ? 'resuming' : 'starting'} CVRL pre-training of ${config.arch} in ${runDir}`);
  const tp = performance.now();
  const pre = await pretrain({ config, resume, quiet: o.quiet });
  const preSeconds = (performance.now() - tp) / 1000;

  // Each evaluation is what `cvrl linear-eval` / `cvrl finetune` would run, with its own --out.
  const { metrics } = await runBaselines({
    out, runDir, data: { data, format: 'ucf101', annotations: ann, split: 1 }, seed: config.seed, threads: config.threads,
    parallelism: config.parallelism, flipProb: config.flipProb, epochs: o.epochs ?? STUDY_EPOCHS, log: o.quiet ? undefined : (l) => log(`demo: ${l}`),
  });
  const [linCvrl, linRandom, ftCvrl, ftRandom, supervised] = metrics;
  const rows: DemoRow[] = [
    { encoder: 'CVRL (pre-trained)', top1: linCvrl.top1, top5: linCvrl.top5, trainTop1: linCvrl.trainTop1, finetuneTop1: ftCvrl.top1 },
    { encoder: 'random init', top1: linRandom.top1, top5: linRandom.top5, trainTop1: linRandom.trainTop1, finetuneTop1: ftRandom.top1 },
    { encoder: 'supervised from scratch (100% labels)', top1: NaN, top5: NaN, trainTop1: supervised.trainTop1, finetuneTop1: supervised.top1 },
  ];
  const table = [
    '| encoder | linear top-1 | linear top-5 | 10% fine-tune top-1 |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.encoder} | ${fmt(r.top1)} | ${fmt(r.top5)} | ${fmt(r.finetuneTop1)} |`),
  ].join('\n');
  const report = join(out, 'report.html');
  const evalDirs = BASELINE_DIRS.map((d) => join(out, d));
  await writeReport(report, { runDirs: [runDir, ...evalDirs], title: 'cvrl demo', samples: 4 });
  const result: DemoResult = {
    out, rows, report,
    pretrain: { steps: pre.steps, finalLoss: pre.finalLoss, clipsPerSec: pre.clipsPerSec, seconds: preSeconds },
    seconds: (performance.now() - t0) / 1000,
  };
  writeFileSync(join(out, 'metrics.json'), JSON.stringify(result, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
  const summary = `${table}\n\nTest set: split 1 of ${linCvrl.classes.length} synthetic motion classes (video groups whose looks training never saw); the supervised row's last column is trained on all training labels.\n` +
    `Pre-training: ${pre.steps} steps, final loss ${pre.finalLoss.toFixed(3)}, ${pre.clipsPerSec > 0 ? `${pre.clipsPerSec.toFixed(1)} clips/s, ${preSeconds.toFixed(0)} s` : `reused from the earlier run in ${runDir} (delete ${out} to pre-train again)`}. Total ${result.seconds.toFixed(0)} s.\n` +
    `Explore: ${report} (curves, tables, confusion matrices, sample clips), ${runDir}/metrics.jsonl, tensorboard --logdir ${runDir},\n` +
    `cvrl export --checkpoint ${runDir} --format onnx --out encoder.onnx\n`;
  writeFileSync(join(out, 'summary.md'), summary);
  log(`\n${summary}`);
  return result;
}
