// Single video files to features without a dataset: embedVideo in the library, `cvrl embed FILE...`
// on the command line; both equal what the dataset path computes for the same video.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { manualSeed } from '../../src/torch/index.js';
import { createModel, saveEncoder } from '../../src/models/index.js';
import { openDataset } from '../../src/video/index.js';
import { embedVideo } from '../../src/eval/embed-video.js';
import { videoFeatures, meanView } from '../../src/eval/extract.js';
import { readEmbeddings } from '../../src/eval/embedding-file.js';
import { makeVideo } from '../helpers/videos.js';
import { tempDir } from '../helpers/python.js';

const clip = { frames: 8, stride: 2, size: 32 };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test('embedVideo equals the view mean of the dataset path for the same file; unreadable files are errors naming them', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'data', 'walk'), { recursive: true });
  const video = await makeVideo(join(dir, 'data', 'walk'), 'a.mp4', { frames: 40 });
  manualSeed(1);
  const encoder = createModel('r3d_18_tiny');
  const e = await embedVideo(video, encoder, { ...clip, temporalViews: 3, spatialViews: 3 });
  assert.equal(e.dim, encoder.featureDim);
  assert.equal(e.views, 9);
  assert.equal(e.frames, 40);
  assert.ok(e.features.some((x) => x !== 0) && e.features.every(Number.isFinite));
  const dataset = openDataset({ data: join(dir, 'data'), format: 'folder' });
  const rows = [];
  for await (const v of videoFeatures(encoder, dataset, { ...clip, temporalViews: 3, spatialViews: 3, parallelism: 1 })) rows.push(v);
  assert.equal(rows.length, 1);
  assert.ok(maxDiff(e.features, meanView(rows[0])) < 1e-5, `differs from the dataset path by ${maxDiff(e.features, meanView(rows[0]))}`);
  // Other views give other features: the options are used.
  const one = await embedVideo(video, encoder, { ...clip, temporalViews: 1, spatialViews: 1 });
  assert.equal(one.views, 1);
  assert.ok(maxDiff(one.features, e.features) > 1e-4);
  const bad = join(dir, 'bad.mp4');
  writeFileSync(bad, 'not a video');
  await assert.rejects(embedVideo(bad, encoder, clip), (err: Error) => err.message.includes(bad));
  await assert.rejects(embedVideo(join(dir, 'missing.mp4'), encoder, clip), /missing\.mp4/);
});

test('cvrl embed FILE...: JSON lines on stdout, an embeddings file with --out, errors per file, usage errors', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = await makeVideo(dir, 'a.mp4', { frames: 30 });
  const b = await makeVideo(dir, 'b.avi', { frames: 24, codec: 'mpeg4' });
  const bad = join(dir, 'bad.mp4');
  writeFileSync(bad, 'not a video');
  manualSeed(2);
  const encoder = createModel('r3d_18_tiny');
  const ckpt = join(dir, 'enc.safetensors');
  saveEncoder(ckpt, { arch: 'r3d_18_tiny', overrides: {} }, encoder);
  const flags = ['--checkpoint', ckpt, '--frames', '8', '--stride', '2', '--size', '32', '--temporal-views', '2', '--spatial-views', '1', '--threads', '1', '--quiet'];
  const cvrl = (...args: string[]) => spawnSync(process.execPath, ['bin/cvrl.js', 'embed', ...args], { encoding: 'utf8', env: { ...process.env, CVRL_NO_JEMALLOC: '1' } });

  const r = cvrl(a, bad, b, ...flags);
  assert.equal(r.status, 1, 'an unreadable file makes the exit status 1');
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; dim?: number; features?: number[]; error?: string });
  assert.deepEqual(lines.map((l) => l.path), [a, bad, b]);
  assert.equal(lines[0].dim, encoder.featureDim);
  assert.ok(lines[1].error && !lines[1].features);
  const want = await embedVideo(a, encoder, { ...clip, temporalViews: 2, spatialViews: 1 });
  assert.ok(maxDiff(lines[0].features!, want.features) < 1e-5);

  const out = join(dir, 'emb');
  const w = cvrl(a, b, ...flags, '--out', out);
  assert.equal(w.status, 0, w.stderr);
  assert.equal(JSON.parse(w.stdout).rows, 2);
  const { features, rows } = readEmbeddings(join(out, 'embeddings.safetensors'), join(out, 'embeddings.jsonl'));
  assert.deepEqual(features.shape, [2, encoder.featureDim]);
  assert.deepEqual(rows.map((x) => [x.path, x.label, x.views]), [[a, -1, 2], [b, -1, 2]]);
  assert.ok(maxDiff(features.select(0, 0).toTypedArray() as Float32Array, want.features) < 1e-5);
  features.dispose();
  assert.equal(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).command, 'embed');

  const none = cvrl(...flags);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /embed needs video FILEs, or a dataset: missing --data, --format, --out/);
  const both = cvrl(a, ...flags, '--data', dir, '--format', 'folder');
  assert.equal(both.status, 2);
  assert.match(both.stderr, /embed takes video FILEs or a dataset \(--data\), not both; drop --data, --format/);
  assert.ok(!existsSync(join(dir, 'embeddings.safetensors')));
});
