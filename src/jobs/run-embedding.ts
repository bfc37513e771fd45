/**
 * `cvrl embed` and `cvrl retrieve` as library calls. embed streams one view-averaged feature per
 * video to safetensors + a JSON Lines index; retrieve scores test-to-train nearest neighbours.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { openDataset, type VideoDataset } from '../video/dataset.js';
import { openEncoder } from './encoder-source.js';
import { openSplit, splitsOf } from '../eval/eval-data.js';
import { videoFeatures, meanView } from '../eval/extract.js';
import { EmbeddingWriter } from '../formats/embedding-file.js';
import { retrieval, type RetrievalResult } from '../eval/retrieval.js';
import { writeEvalOutput } from './output.js';
import { type EvalJobOptions, jobHeader, resolveClip, startJob } from './job.js';
import { namingOptions } from '../util/option-error.js';

export interface EmbedJob extends EvalJobOptions {
  /** Which part of a split to embed (train, test; Kinetics: the split column value). */
  subset?: string;
}

export interface EmbedResult {
  file: string;
  index: string;
  rows: number;
  dim: number;
  badVideos: number;
}

/** Where embeddings go: OUT.safetensors with OUT.jsonl beside it, or OUT/embeddings.{safetensors,jsonl} (+ metrics.json); creates the folder. */
export function embeddingPaths(out: string): { asFile: boolean; file: string; index: string } {
  const asFile = out.endsWith('.safetensors');
  const file = asFile ? out : join(out, 'embeddings.safetensors');
  mkdirSync(dirname(file), { recursive: true });
  return { asFile, file, index: file.replace(/\.safetensors$/, '.jsonl') };
}

/** OUT is a .safetensors file (index beside it, .jsonl) or a directory (embeddings.safetensors, embeddings.jsonl, metrics.json). */
export async function runEmbed(o: EmbedJob): Promise<EmbedResult> {
  startJob(o);
  const log = o.log ?? (() => undefined);
  const split = o.data.split === 'all' ? undefined : o.data.split;
  if (o.data.split === 'all') throw namingOptions(new Error("embedding takes one split (1, 2 or 3), not 'all'"), 'split');
  const dataset: VideoDataset = openDataset({ data: o.data.data, format: o.data.format, annotations: o.data.annotations, split, subset: o.subset });
  const src = openEncoder({ seed: o.seed, ...o.encoder });
  const clip = resolveClip(o, src);
  const { asFile, file, index } = embeddingPaths(o.out); // once the data and encoder are there: a failed start leaves no folder
  const writer = new EmbeddingWriter(file, index);
  const stats = { badVideos: 0 };
  const t0 = performance.now();
  let dim = 0, lastLog = 0;
  try {
    const views = { temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial };
    for await (const v of videoFeatures(src.encoder, dataset, { ...clip, ...views, batchSize: o.batchSize, parallelism: o.parallelism }, undefined, stats)) {
      dim = v.dim;
      writer.add({ path: v.path, label: v.label, class: v.label >= 0 ? dataset.classes[v.label] : null, views: v.views }, meanView(v));
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`embed: ${writer.rows}/${dataset.items.length} videos, ${(writer.rows / ((lastLog - t0) / 1000)).toFixed(1)} videos/s`);
      }
    }
    writer.close({ cvrl: JSON.stringify({ ...jobHeader('embed', o, src, clip), views }) });
  } catch (e) {
    writer.abort();
    throw e;
  }
  const result: EmbedResult = { file, index, rows: writer.rows, dim, badVideos: stats.badVideos };
  if (!asFile) {
    writeEvalOutput(o.out, { ...jobHeader('embed', o, src, clip), ...result, classes: dataset.classes },
      `# Embeddings\n\n${result.rows} videos x ${dim} features in ${file} (index ${index}); ${result.badVideos} unreadable videos left out.\n`);
  }
  log(`embed: wrote ${result.rows} x ${dim} features to ${file}${result.badVideos ? ` (${result.badVideos} unreadable videos left out)` : ''}`);
  return result;
}

export interface RetrieveJob extends EvalJobOptions {
  ks?: number[];
  knnK?: number;
  knnTemperature?: number;
}

export async function runRetrieve(o: RetrieveJob): Promise<Record<string, unknown>> {
  startJob(o);
  const log = o.log ?? (() => undefined);
  const perSplit: (RetrievalResult & { split: number | null })[] = [];
  let header: Record<string, unknown> = {};
  let classes: string[] = [];
  const src = openEncoder({ seed: o.seed, ...o.encoder });
  const clip = resolveClip(o, src);
  for (const split of splitsOf(o.data)) {
    const { train, test } = openSplit(o.data, split);
    classes = train.classes;
    const r = await retrieval(src.encoder, train, test, {
      ...clip, temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? 1, batchSize: o.batchSize, parallelism: o.parallelism,
      ks: o.ks, knnK: o.knnK, knnTemperature: o.knnTemperature, log,
    });
    perSplit.push({ split: split ?? null, ...r });
    header = jobHeader('retrieve', { ...o, spatialViews: o.spatialViews ?? 1 }, src, clip);
  }
  const mean = (f: (r: RetrievalResult) => number) => perSplit.reduce((a, r) => a + f(r), 0) / perSplit.length;
  const recall = Object.fromEntries(Object.keys(perSplit[0].recall).map((k) => [k, mean((r) => r.recall[k])]));
  const metrics = { ...header, classes, recall, knnTop1: mean((r) => r.knnTop1), knnTop5: mean((r) => r.knnTop5), knnK: o.knnK ?? 20, splits: perSplit };
  const ks = Object.keys(recall);
  const lines = ['# Retrieval (test queries, training gallery, cosine similarity)', '', `| split | ${ks.map((k) => `R@${k}`).join(' | ')} | kNN top-1 |`, `|---|${ks.map(() => '---').join('|')}|---|`];
  for (const r of perSplit) lines.push(`| ${r.split ?? '-'} | ${ks.map((k) => r.recall[k].toFixed(1)).join(' | ')} | ${r.knnTop1.toFixed(1)} |`);
  if (perSplit.length > 1) lines.push(`| mean | ${ks.map((k) => recall[k].toFixed(1)).join(' | ')} | ${metrics.knnTop1.toFixed(1)} |`);
  const summary = `${lines.join('\n')}\n`;
  writeEvalOutput(o.out, metrics, summary);
  log(`\n${summary}`);
  return metrics;
}
