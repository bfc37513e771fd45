/**
 * AVA-format detection end to end on the default synthetic set: `cvrl synth --format ava`, then
 * `cvrl detect train` with a random-init r3d_18_tiny and every other setting at its default, then
 * `cvrl detect eval` on the person boxes (and on the ground-truth boxes), each timed as a separate
 * process. Chance-level heads score the same boxes: one constant score, the trained scores shuffled
 * (mean of 10 shuffles) and uniform random scores (mean of 10 draws).
 * Usage: npm run bench:detect -- [--out DIR] [--threads N] [--seed N]. Prints one JSON object.
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { readAvaAnnotations, readAvaExclusions, readAvaLabelMap, readAvaPredictions, type AvaDetection } from '../src/eval/detection/ava-csv.js';
import { scoreAva } from '../src/eval/detection/ava-map.js';
import { Rng } from '../src/video/rng.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: join(tmpdir(), 'cvrl-bench-detect') }, threads: { type: 'string' }, seed: { type: 'string', default: '0' } } });
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cvrl.js');
const out = values.out, data = join(out, 'data'), run = join(out, 'run'), A = join(data, 'annotations');
const threads = values.threads ? ['--threads', values.threads] : [];
rmSync(out, { recursive: true, force: true });

/** Runs one cvrl command; returns its wall time in seconds. */
function cvrl(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`cvrl ${args.join(' ')} exited with ${r.status}`);
  return (performance.now() - t0) / 1000;
}

const seconds: Record<string, number> = {};
seconds.synth = cvrl(['synth', '--format', 'ava', '--out', data, '--seed', values.seed]);
const common = ['--data', join(data, 'videos'), '--label-map', join(A, 'action_list.pbtxt'), ...threads];
seconds.train = cvrl(['detect', 'train', '--arch', 'r3d_18_tiny', '--random-init', '--annotations', join(A, 'train.csv'), '--out', run, '--seed', values.seed, '--quiet', ...common]);
const evalArgs = ['detect', 'eval', '--model', run, '--annotations', join(A, 'val.csv'), '--exclusions', join(A, 'val_excluded_timestamps.csv'), '--quiet', ...common];
seconds.evalPersonBoxes = cvrl([...evalArgs, '--person-boxes', join(A, 'val_person_boxes.csv'), '--out', join(run, 'eval')]);
seconds.evalGroundTruthBoxes = cvrl([...evalArgs, '--out', join(run, 'eval-gt')]);

const labelMap = await readAvaLabelMap(join(A, 'action_list.pbtxt'));
const groundTruth = await readAvaAnnotations(join(A, 'val.csv'), { classes: labelMap });
const excluded = await readAvaExclusions(join(A, 'val_excluded_timestamps.csv'));
const mAP = (d: AvaDetection[]) => scoreAva({ groundTruth, detections: d, labelMap, excluded }).mAP;
const mean = (f: (i: number) => number) => Array.from({ length: 10 }, (_, i) => f(i)).reduce((a, b) => a + b, 0) / 10;
const round = (x: number) => Math.round(x * 10) / 10;

async function report(dir: string): Promise<Record<string, unknown>> {
  const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { mAP: number; per_class: Record<string, number>; boxes: number };
  const det = await readAvaPredictions(join(dir, 'predictions.csv'));
  return {
    boxes: m.boxes,
    trained: { mAP: round(m.mAP), perClass: Object.fromEntries(Object.entries(m.per_class).map(([k, v]) => [`${k} ${labelMap.get(Number(k))}`, round(v)])) },
    chance: {
      constant: round(mAP(det.map((d) => ({ ...d, score: 0.5 })))),
      shuffled: round(mean((i) => { const s = Rng.from(i).shuffle(det.map((d) => d.score)); return mAP(det.map((d, j) => ({ ...d, score: s[j] }))); })),
      uniform: round(mean((i) => { const r = Rng.from(100 + i); return mAP(det.map((d) => ({ ...d, score: r.next() }))); })),
    },
  };
}

const train = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as { keyframes: number; boxes: number; clip: unknown; train: unknown; loss: number };
console.log(JSON.stringify({
  data: { seed: Number(values.seed), trainKeyframes: train.keyframes, trainBoxes: train.boxes },
  encoder: 'r3d_18_tiny, random init', clip: train.clip, train: train.train, finalLoss: Number(train.loss.toFixed(4)),
  personBoxes: await report(join(run, 'eval')), groundTruthBoxes: await report(join(run, 'eval-gt')),
  seconds: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round(v)])),
  threads: values.threads ?? 'all cores',
}, null, 2));
