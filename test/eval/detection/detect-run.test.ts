// End to end on a small synthetic AVA set: `cvrl detect train` (random-init tiny encoder) then
// `cvrl detect eval` on the person boxes; the predictions CSV scores with scoreAva and
// `detect score`, and the trained detector beats chance-level heads (constant and shuffled scores)
// on the same boxes by a wide margin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerDetect } from '../../../src/cli/detect.js';
import { cliMessage } from '../../../src/cli/flags.js';
import { synthesizeAva } from '../../../src/video/synth-ava.js';
import { Rng } from '../../../src/video/rng.js';
import { frameKey, readAvaAnnotations, readAvaExclusions, readAvaLabelMap, readAvaPersonBoxes, readAvaPredictions, type AvaDetection } from '../../../src/eval/detection/ava-csv.js';
import { scoreAva } from '../../../src/eval/detection/ava-map.js';
import { tempDir } from '../../helpers/python.js';

/** Runs `cvrl detect ...` in-process; returns what it printed on stdout. */
async function detect(args: string[], t: { mock: { method: (o: object, m: string, f: (...a: unknown[]) => void) => unknown } }): Promise<string> {
  const lines: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => { lines.push(a.join(' ')); });
  t.mock.method(console, 'error', () => undefined);
  const program = new Command('cvrl').exitOverride().configureOutput({ writeErr: () => {} });
  registerDetect(program);
  await program.parseAsync(['node', 'cvrl', 'detect', ...args]);
  return lines.join('\n');
}

test('detect train then detect eval: files, a predictions CSV that scoreAva scores, mAP far above chance-level heads', async (t) => {
  const root = tempDir('cvrl-detect-');
  const d = await synthesizeAva({ out: root, videos: 24, valVideos: 8, seconds: 4, width: 64, height: 48, fps: 10, seed: 11 });
  const run = join(root, 'run');
  const common = ['--data', d.videos, '--label-map', d.labelMap, '--threads', '1', '--quiet'];
  const t0 = performance.now();
  await detect(['train', '--arch', 'r3d_18_tiny', '--random-init', '--annotations', d.train, '--out', run, '--size', '48', '--frames', '4', '--stride', '2', '--epochs', '12', ...common], t);
  const trainSeconds = (performance.now() - t0) / 1000;
  assert.ok(existsSync(join(run, 'detector.safetensors')));
  const epochs = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; loss: number; keyframes: number });
  assert.deepEqual(epochs.map((e) => e.epoch), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(epochs[0].keyframes, d.keyframes.train);
  assert.ok(epochs[11].loss < 0.5 * epochs[0].loss, `training loss ${epochs[0].loss} -> ${epochs[11].loss}`);
  const events = readdirSync(run).filter((n) => n.startsWith('events.out.tfevents.'));
  assert.equal(events.length, 1);
  assert.ok(statSync(join(run, events[0])).size > 12 * 40, 'TensorBoard events hold the per-step scalars');
  const trainMetrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(trainMetrics.command, 'detect train');
  assert.deepEqual(trainMetrics.clip, { frames: 4, stride: 2, size: 48, timeOffset: 0 });

  const printed = JSON.parse(await detect(['eval', '--model', run, '--annotations', d.val, '--exclusions', d.exclusions, '--person-boxes', d.personBoxes, ...common], t)) as { out: string; mAP: number };
  assert.equal(printed.out, join(run, 'eval'));
  const metrics = JSON.parse(readFileSync(join(run, 'eval', 'metrics.json'), 'utf8')) as { mAP: number; per_class: Record<string, number>; boxSource: string };
  assert.equal(metrics.boxSource, 'person-boxes');
  assert.deepEqual(Object.keys(metrics.per_class), ['1', '2', '3', '4']);

  // The predictions: one row per (kept person box, class), readable by the AVA reader and `detect score`.
  const labelMap = await readAvaLabelMap(d.labelMap);
  const [gt, excluded, boxes, det] = await Promise.all([
    readAvaAnnotations(d.val, { classes: labelMap }), readAvaExclusions(d.exclusions), readAvaPersonBoxes(d.personBoxes), readAvaPredictions(join(run, 'eval', 'predictions.csv')),
  ]);
  const kept = boxes.filter((b) => b.score >= 0.9 && !excluded.has(frameKey(b.videoId, b.timestamp)));
  assert.equal(det.length, kept.length * 4);
  const score = (ds: AvaDetection[]) => scoreAva({ groundTruth: gt, detections: ds, labelMap, excluded }).mAP;
  const trained = score(det);
  assert.ok(Math.abs(trained - metrics.mAP) < 1e-9 && Math.abs(trained - printed.mAP) < 1e-9);
  const scored = JSON.parse(await detect(['score', '--annotations', d.val, '--predictions', join(run, 'eval', 'predictions.csv'), '--label-map', d.labelMap, '--exclusions', d.exclusions, '--json'], t)) as { mAP: number };
  assert.ok(Math.abs(scored.mAP - trained) < 1e-9);

  // Chance-level heads on the same boxes: one constant score, and the trained scores shuffled.
  const constant = score(det.map((x) => ({ ...x, score: 0.5 })));
  const shuffled = [1, 2, 3, 4, 5].map((s) => {
    const scores = Rng.from(s).shuffle(det.map((x) => x.score));
    return score(det.map((x, i) => ({ ...x, score: scores[i] })));
  });
  const shuffledMean = shuffled.reduce((a, b) => a + b, 0) / shuffled.length;
  process.stderr.write(`detect: trained mAP ${trained.toFixed(1)} (per class ${Object.values(metrics.per_class).map((v) => v.toFixed(1)).join(', ')}), constant ${constant.toFixed(1)}, shuffled ${shuffledMean.toFixed(1)}; training ${trainSeconds.toFixed(0)} s\n`);
  assert.ok(trained > constant + 15, `trained ${trained} vs constant scores ${constant}`);
  assert.ok(trained > shuffledMean + 15, `trained ${trained} vs shuffled scores ${shuffledMean}`);
});

test('detect train and eval name the flag or file that is wrong', async (t) => {
  const root = tempDir('cvrl-detect-');
  const d = await synthesizeAva({ out: root, videos: 3, valVideos: 1, seconds: 3, width: 32, height: 32, fps: 4, seed: 1 });
  const base = ['train', '--data', d.videos, '--annotations', d.train, '--label-map', d.labelMap, '--out', join(root, 'run'), '--quiet'];
  const message = (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => cliMessage(e));
  assert.match(await message(detect([...base, '--arch', 'r3d_18_tiny'], t)), /arch r3d_18_tiny needs --random-init/);
  assert.match(await message(detect(base, t)), /pass --checkpoint .*or --arch with --random-init/);
  assert.match(await message(detect([...base, '--dropout', '1.5'], t)), /--dropout must be in \[0, 0\.999\)/);
  assert.match(await message(detect(['eval', '--model', join(root, 'nothing'), '--data', d.videos, '--annotations', d.val, '--label-map', d.labelMap], t)), /no detector checkpoint at .*nothing/);
});
