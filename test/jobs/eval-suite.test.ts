// The evaluation commands end to end on a tiny synthetic dataset in UCF-101 layout with three splits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { synthesizeDataset, openDataset } from '../../src/video/index.js';
import { createModel } from '../../src/models/registry.js';
import { saveEncoder, loadEncoder } from '../../src/models/checkpoint.js';
import { manualSeed } from '../../src/torch/runtime.js';
import { runLinearEval, runFinetune } from '../../src/jobs/run-classification.js';
import { runEmbed, runRetrieve } from '../../src/jobs/run-embedding.js';
import { readEmbeddings } from '../../src/eval/embedding-file.js';
import { loadSafetensors } from '../../src/nn/safetensors.js';
import { labelFractionSubset } from '../../src/eval/label-fraction.js';
import { extractEmbeddings } from '../../src/eval/extract.js';
import { type EvalJobOptions } from '../../src/jobs/job.js';
import { tempDir } from '../helpers/python.js';
import { readScalars } from '../helpers/tfevents.js';

const root = tempDir('cvrl-eval-');
const data = join(root, 'data');
const ann = join(data, 'annotations');
const ckpt = join(root, 'encoder.safetensors');
const CLIP = { frames: 4, stride: 2, size: 32 };

const job = (out: string, o: Partial<EvalJobOptions> = {}): EvalJobOptions => ({
  out: join(root, out), encoder: { checkpoint: ckpt }, data: { data, format: 'ucf101', annotations: ann, split: 1 },
  temporalViews: 2, spatialViews: 3, batchSize: 8, parallelism: 2, threads: 1, seed: 0, ...o,
});

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown> & { splits: { split: number; top1: number; top5: number }[] };
const sum = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);

test.before(async () => {
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 3, videosPerClass: 10, frames: 16, size: 40, seed: 1 });
  manualSeed(5);
  // A checkpoint that records its pre-training clip settings, which become the evaluation defaults.
  saveEncoder(ckpt, { arch: 'r3d_18_tiny', overrides: {} }, createModel('r3d_18_tiny', { numClasses: 0 }), { train: { config: CLIP } });
});

test('linear-eval --split all: per-split and mean scores, confusion, per-epoch log, heads', async () => {
  const m = await runLinearEval({ ...job('le-all', { data: { data, format: 'ucf101', annotations: ann, split: 'all' } }), linear: { epochs: 2, batchSize: 8 } });
  const onDisk = readJson(join(root, 'le-all', 'metrics.json'));
  assert.equal(onDisk.command, 'linear-eval');
  assert.deepEqual(onDisk.clip, { ...CLIP });
  assert.deepEqual(onDisk.classes, ['Translate', 'Rotate', 'Pulse']);
  assert.deepEqual(m.splits.map((s) => s.split), [1, 2, 3]);
  const mean = m.splits.reduce((a, s) => a + s.top1, 0) / 3;
  assert.ok(Math.abs(m.top1 - mean) < 1e-9 && Math.abs((onDisk.top1 as number) - mean) < 1e-9);
  // Three classes: top-5 is capped at top-3, which every label is in.
  for (const s of m.splits) assert.equal(s.top5, 100);
  const trace = m.confusion.reduce((a, row, i) => a + row[i], 0);
  assert.equal(m.splits[2].top1, (100 * trace) / sum(m.confusion), 'split 3 top-1 is the diagonal of its confusion matrix');
  const split3Test = openDataset({ data, format: 'ucf101', annotations: ann, split: 3, subset: 'test' }).items.length;
  assert.equal(sum(m.confusion), split3Test, 'the confusion matrix is the last split\'s test set');
  assert.equal(m.perClass.length, 3);
  const epochs = readFileSync(join(root, 'le-all', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: number; epoch: number });
  assert.deepEqual(epochs.map((e) => `${e.split}:${e.epoch}`), ['1:1', '1:2', '2:1', '2:2', '3:1', '3:2']);
  for (const s of [1, 2, 3]) assert.ok(existsSync(join(root, 'le-all', `linear-head-split${s}.safetensors`)));
  assert.match(readFileSync(join(root, 'le-all', 'summary.md'), 'utf8'), /\| mean \|/);
  // TensorBoard: one run directory per split (their steps restart), epoch scalars, test scores at the last step, hparams.
  const perEpoch = readFileSync(join(root, 'le-all', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: number; step: number; loss: number });
  for (const s of m.splits) {
    const { scalars, hparamsTags } = readScalars(join(root, 'le-all', `split${s.split}`));
    const mine = perEpoch.filter((e) => e.split === s.split);
    assert.deepEqual(scalars.filter((e) => e.tag === 'linear-eval/loss').map((e) => [e.step, e.value]), mine.map((e) => [e.step, Math.fround(e.loss)]));
    assert.deepEqual(scalars.filter((e) => e.tag.startsWith('test/')).map((e) => [e.step, e.tag, e.value]), [[mine[1].step, 'test/top1', Math.fround(s.top1)], [mine[1].step, 'test/top5', 100]]);
    assert.deepEqual(hparamsTags, ['_hparams_/session_start_info']);
  }
  assert.deepEqual(readScalars(join(root, 'le-all')).scalars, [], 'no events mixed across splits at the top');
});

test('linear-eval on cached features fits its training set (the optimiser works)', async () => {
  // One centre crop per clip: 48 samples of 24 videos in 128 dimensions are linearly separable.
  const m = await runLinearEval({ ...job('le-cached', { spatialViews: 1 }), linear: { epochs: 200, batchSize: 8, augment: false, trainViews: 2, lr: 0.5 } });
  assert.equal(m.trainTop1, 100);
  assert.equal(readFileSync(join(root, 'le-cached', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 200);
});

test('linear-eval --label-fraction through the CLI: a class-balanced subset trains the probe, the whole test set scores it', () => {
  const base = ['bin/cvrl.js', 'linear-eval', '--checkpoint', ckpt, '--data', data, '--format', 'ucf101', '--annotations', ann, '--split', '1', '--epochs', '2', '--batch', '4', '--temporal-views', '1', '--spatial-views', '1', '--threads', '1', '--quiet'];
  const r = spawnSync(process.execPath, [...base, '--label-fraction', '0.5', '--out', join(root, 'le-half')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = readJson(join(root, 'le-half', 'metrics.json')) as ReturnType<typeof readJson> & { perSplit: { trainVideos: number; testVideos: number }[]; confusion: number[][] };
  assert.equal(m.labelFraction, 0.5);
  const train = openDataset({ data, format: 'ucf101', annotations: ann, split: 1 });
  assert.equal(m.perSplit[0].trainVideos, labelFractionSubset(train, 0.5, 0).items.length);
  assert.ok(m.perSplit[0].trainVideos < train.items.length);
  assert.equal(sum(m.confusion), openDataset({ data, format: 'ucf101', annotations: ann, split: 1, subset: 'test' }).items.length);
  assert.match(readFileSync(join(root, 'le-half', 'summary.md'), 'utf8'), /Linear evaluation \(50% of the labels\)/);
  for (const bad of ['0', '1.5', '']) {
    const e = spawnSync(process.execPath, [...base, '--label-fraction', bad, '--out', join(root, 'le-bad')], { encoding: 'utf8' });
    assert.equal(e.status, 2, `--label-fraction '${bad}'`);
    assert.match(e.stderr, /--label-fraction must be in \(0, 1\]/);
  }
});

test('label-fraction subsets of every official split stay inside its training videos, away from its test videos', () => {
  for (const split of [1, 2, 3]) {
    const train = openDataset({ data, format: 'ucf101', annotations: ann, split });
    const test = new Set(openDataset({ data, format: 'ucf101', annotations: ann, split, subset: 'test' }).items.map((i) => i.path));
    const subset = labelFractionSubset(train, 0.3, split);
    assert.ok(subset.items.length > 0 && subset.items.length < train.items.length);
    assert.deepEqual(subset.items.filter((i) => test.has(i.path)), [], `split ${split}`);
  }
});

test('a last training batch of one video is skipped: BatchNorm statistics stay finite', async () => {
  const train = openDataset({ data, format: 'ucf101', annotations: ann, split: 1 }).items.length;
  const batchSize = train - 1;
  // The unbiased variance of one sample is a division by zero that would poison the running variance.
  const finiteStats = (file: string) => {
    const { tensors } = loadSafetensors(file);
    const bad = [...tensors].filter(([k, t]) => k.endsWith('running_var') && !t.isfinite().all().item()).map(([k]) => k);
    tensors.forEach((t) => t.dispose());
    assert.deepEqual(bad, [], `${file}: non-finite ${bad.join(', ')}`);
  };
  for (const augment of [true, false]) {
    await runLinearEval({ ...job(`le-odd-${augment}`, { spatialViews: 1 }), linear: { epochs: 1, batchSize, augment } });
    finiteStats(join(root, `le-odd-${augment}`, 'linear-head.safetensors'));
  }
  await runFinetune({ ...job('ft-odd', { spatialViews: 1 }), finetune: { epochs: 1, batchSize } });
  finiteStats(join(root, 'ft-odd', 'model.safetensors'));
});

test('finetune through the CLI: label fraction, saved model, scratch baseline', () => {
  const base = ['--data', data, '--format', 'ucf101', '--annotations', ann, '--split', '1', '--epochs', '2', '--batch', '4', '--temporal-views', '2', '--spatial-views', '1', '--threads', '1', '--quiet'];
  const run = (args: string[]) => spawnSync(process.execPath, ['bin/cvrl.js', 'finetune', ...base, ...args], { encoding: 'utf8' });
  const ft = run(['--checkpoint', ckpt, '--label-fraction', '0.5', '--out', join(root, 'ft')]);
  assert.equal(ft.status, 0, ft.stderr);
  const stdout = JSON.parse(ft.stdout) as { top1: number };
  const m = readJson(join(root, 'ft', 'metrics.json'));
  assert.equal(m.command, 'finetune');
  assert.equal(m.labelFraction, 0.5);
  assert.equal(stdout.top1, m.top1);
  assert.deepEqual((m.encoder as { randomInit: boolean }).randomInit, false);
  const train = openDataset({ data, format: 'ucf101', annotations: ann, split: 1 }).items.length;
  assert.equal((m.perSplit as { trainVideos: number }[])[0].trainVideos, 3 * Math.round(0.5 * (train / 3)));
  assert.deepEqual([...new Set(readScalars(join(root, 'ft')).scalars.map((e) => e.tag))], ['finetune/loss', 'finetune/lr', 'finetune/train_top1', 'test/top1', 'test/top5']);
  const saved = loadEncoder(join(root, 'ft', 'model.safetensors'));
  assert.equal(saved.spec.arch, 'r3d_18_tiny');
  const scratch = run(['--checkpoint', ckpt, '--scratch', '--label-fraction', '0.5', '--out', join(root, 'ft-scratch')]);
  assert.equal(scratch.status, 0, scratch.stderr);
  const s = readJson(join(root, 'ft-scratch', 'metrics.json'));
  assert.deepEqual(s.encoder, { checkpoint: null, arch: 'r3d_18_tiny', randomInit: true });
  assert.deepEqual(s.clip, { ...CLIP }, 'the scratch baseline keeps the checkpoint\'s clip settings');
});

test('finetune --backbone-lr-mult 0 trains only the head: encoder weights stay as loaded', async () => {
  const changed = async (name: string, backboneLrMult: number): Promise<string[]> => {
    await runFinetune({ ...job(name, { spatialViews: 1, temporalViews: 1 }), finetune: { epochs: 1, batchSize: 8, backboneLrMult } });
    const before = loadSafetensors(ckpt).tensors, after = loadSafetensors(join(root, name, 'model.safetensors')).tensors;
    const weights = [...before.keys()].filter((k) => k.endsWith('.weight'));
    const moved = weights.filter((k) => before.get(k)!.sub(after.get(k)!).abs().amax().item() > 0);
    [...before.values(), ...after.values()].forEach((t) => t.dispose());
    return moved;
  };
  assert.deepEqual(await changed('ft-frozen', 0), []);
  assert.ok((await changed('ft-moving', 1)).length > 10, 'at multiplier 1 the encoder trains');
});

test('retrieve: recall@k rises with k to 100 once k covers the gallery; scores count whole queries', async () => {
  const m = await runRetrieve({ ...job('ret', { spatialViews: 1 }), ks: [1, 5, 10, 1000], knnK: 5 });
  const r = m.recall as Record<string, number>;
  assert.deepEqual(Object.keys(r), ['1', '5', '10', '1000']);
  assert.ok(r['1'] <= r['5'] && r['5'] <= r['10']);
  // Every class is in the gallery, so a k beyond the gallery size finds a match for every query.
  const { queries, gallery } = (m.splits as { queries: number; gallery: number }[])[0];
  assert.ok(gallery < 1000);
  assert.equal(r['1000'], 100);
  // Percentages of whole queries: multiples of 100 / queries (values per query are hand-checked in test/eval/retrieval.test.ts).
  for (const v of [r['1'], r['5'], r['10'], m.knnTop1 as number]) {
    const hits = (v * queries) / 100;
    assert.ok(Math.abs(hits - Math.round(hits)) < 1e-9, `${v}% of ${queries} queries is not a whole number of them`);
  }
  assert.ok(existsSync(join(root, 'ret', 'metrics.json')) && existsSync(join(root, 'ret', 'summary.md')));
});

test('embed streams one row per video, equal to the in-memory view average', async () => {
  const file = join(root, 'emb', 'train.safetensors');
  const r = await runEmbed({ ...job(file, { spatialViews: 1 }), out: file, temporalViews: 2 });
  const dataset = openDataset({ data, format: 'ucf101', annotations: ann, split: 1 });
  assert.equal(r.rows, dataset.items.length);
  const { features, rows } = readEmbeddings(file, join(root, 'emb', 'train.jsonl'));
  assert.deepEqual(features.shape, [dataset.items.length, 128]);
  assert.deepEqual(rows[0], { path: dataset.items[0].path, label: dataset.items[0].label, class: dataset.classes[dataset.items[0].label], views: 2 });
  const ref = await extractEmbeddings(loadEncoder(ckpt).encoder, dataset, { ...CLIP, temporalViews: 2, spatialViews: 1 });
  const got = features.toArray();
  const maxDiff = Math.max(...ref.features.flat().map((v, i) => Math.abs(v - got[i])));
  assert.ok(maxDiff < 1e-5, `max diff ${maxDiff}`);
  features.dispose();
});

test('clear errors naming options (flags through the CLI): no encoder, arch without randomInit, split all on a folder, missing test set', async () => {
  await assert.rejects(runLinearEval({ ...job('e1'), encoder: {} }), /pass checkpoint \(a file or run directory\), weights \(a state dict file\) with arch, or arch with randomInit/);
  await assert.rejects(runLinearEval({ ...job('e2'), encoder: { arch: 'r3d_18_tiny' } }), /^Error: arch r3d_18_tiny needs randomInit \(a random encoder\) or weights \(a state dict file\); a trained cvrl encoder comes from checkpoint$/);
  await assert.rejects(runLinearEval({ ...job('e3'), encoder: { arch: 'nope', randomInit: true } }), /arch: unknown model 'nope'/);
  const cli = spawnSync(process.execPath, ['bin/cvrl.js', 'linear-eval', '--arch', 'r3d_18_tiny', '--data', data, '--format', 'ucf101', '--annotations', ann, '--out', join(root, 'e2')], { encoding: 'utf8' });
  assert.match(cli.stderr, /cvrl: --arch r3d_18_tiny needs --random-init \(a random encoder\) or --weights \(a state dict file\); a trained cvrl encoder comes from --checkpoint/);
  const folder = join(root, 'folder');
  mkdirSync(join(folder, 'a'), { recursive: true });
  writeFileSync(join(folder, 'a', 'x.mp4'), '');
  await assert.rejects(runLinearEval({ ...job('e4'), data: { data: folder, format: 'folder', split: 'all' } }), /split 'all' needs format ucf101 or hmdb51/);
  await assert.rejects(runLinearEval({ ...job('e5'), data: { data: folder, format: 'folder' } }), /no built-in test split: pass testData and\/or testAnnotations/);
  const bad = spawnSync(process.execPath, ['bin/cvrl.js', 'linear-eval', '--data', data, '--format', 'ucf101', '--split', '4', '--out', join(root, 'e6')], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--split must be 1, 2, 3 or all, got '4'/);
});
