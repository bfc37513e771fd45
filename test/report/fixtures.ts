/** Small fake run directories for report tests: curves, eval results, embeddings and a real video dataset. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromTypedArray } from '../../src/torch/creation.js';
import { saveSafetensors } from '../../src/nn/safetensors.js';
import { makeVideo } from '../helpers/videos.js';

export const EVAL_CLASSES = ['a<b>', 'c&d', '"e"'];
export const VIDEO_CLASSES = ['Walk<1>', 'Run & jump'];
export const EMBED_CLASSES = ['<cls0>', 'cls1', 'cls2'];

export interface Fixture {
  root: string;
  data: string;
  pre: string;
  lin: string;
  ret: string;
  demo: string;
}

/** Writes a folder dataset of real h264 videos, one sub-folder per class, 2 videos each. */
export async function makeDataset(data: string): Promise<void> {
  for (const c of VIDEO_CLASSES) {
    mkdirSync(join(data, c), { recursive: true });
    for (const v of ['v1.mp4', 'v2.mp4']) await makeVideo(join(data, c), v, { frames: 20, height: 48, width: 64 });
  }
}

export function writeEmbeddings(dir: string, n: number, d: number): void {
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (i % 3) * (j === 0 ? 4 : 0) + Math.sin(i * 1.7 + j) * 0.3;
  const t = fromTypedArray(x, [n, d]);
  saveSafetensors(join(dir, 'embeddings.safetensors'), { features: t });
  t.dispose();
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify(i === n - 1
    ? { path: `vid${i}.mp4`, label: -1, views: 4 }
    : { path: `vid${i}.mp4`, label: i % 3, class: EMBED_CLASSES[i % 3], views: 4 }));
  writeFileSync(join(dir, 'embeddings.jsonl'), rows.join('\n') + '\n');
}

export async function makeFixture(root: string): Promise<Fixture> {
  const f: Fixture = { root, data: join(root, 'data'), pre: join(root, 'pre'), lin: join(root, 'lin'), ret: join(root, 'ret'), demo: join(root, 'demo') };
  await makeDataset(f.data);
  for (const d of [f.pre, f.lin, f.ret, f.demo]) mkdirSync(d, { recursive: true });

  writeFileSync(join(f.pre, 'config.json'), JSON.stringify({ config: { data: f.data, format: 'folder', stride: 1, frames: 8 }, resolved: {} }));
  const pre = Array.from({ length: 10 }, (_, i) => JSON.stringify({ step: i + 1, epoch: Math.floor(i / 5), loss: 5 - i * 0.3, lr: 0.1 * Math.min(1, (i + 1) / 3), clips_per_s: 20 + i }));
  pre.splice(2, 0, '{"step": 3, "loss": oops}');
  pre.splice(5, 0, '');
  writeFileSync(join(f.pre, 'metrics.jsonl'), pre.join('\n') + '\n');

  writeFileSync(join(f.lin, 'metrics.json'), JSON.stringify({
    command: 'linear-eval', encoder: { checkpoint: '/runs/pre/checkpoints/step-10.safetensors', arch: 'r3d_18', randomInit: false },
    classes: EVAL_CLASSES, top1: 61.25, top5: 97.5, perClass: [80, 50, 53.75],
    confusion: [[8, 1, 1], [3, 5, 2], [0, 7, 8]],
    splits: [{ split: 1, top1: 61.25, top5: 97.5 }], knnTop1: 55.5, labelFraction: 0.1,
  }));
  writeFileSync(join(f.lin, 'metrics.jsonl'), Array.from({ length: 5 }, (_, e) => JSON.stringify({ epoch: e, loss: 2 - e * 0.2, lr: 0.01, top1: 30 + e * 5 })).join('\n') + '\n');
  writeEmbeddings(f.lin, 13, 8);

  writeFileSync(join(f.ret, 'metrics.json'), JSON.stringify({ command: 'retrieve', encoder: { checkpoint: null, arch: 'r3d_18', randomInit: true }, classes: EVAL_CLASSES, recall: { 1: 41.5, 5: 62.25, 10: 70, 20: 81.75 } }));
  writeFileSync(join(f.demo, 'metrics.json'), JSON.stringify({ out: f.demo, rows: [{ encoder: 'CVRL (pre-trained)', top1: 96.7, top5: 100, trainTop1: 99.2 }, { encoder: 'random init', top1: 87.5, top5: 100, trainTop1: 95 }], pretrain: { steps: 600, finalLoss: 4.2, clipsPerSec: 12.5, seconds: 300 }, seconds: 420 }));
  return f;
}

/** Line charts + scatter plots that makeFixture's runs should give: pre (loss, lr, throughput),
 * lin (loss, lr, accuracy) and lin's embeddings; no loss overlay (pre is by step, lin by epoch). */
export const FIXTURE_CHARTS = 3 + 3 + 1;
