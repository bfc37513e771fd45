/**
 * Nearest-neighbour clip retrieval (the protocol common in video SSL papers): test videos query a
 * gallery of training videos by cosine similarity of their view-averaged features; Recall@k counts
 * a query when one of its k nearest gallery videos shares its class. A kNN classifier (weighted
 * votes of the k nearest) gives a label-free-training accuracy on the same features.
 */
import { tidy } from '../torch/scope.js';
import { noGrad } from '../torch/autograd.js';
import { type Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { type VideoDataset } from '../video/dataset.js';
import { VideoCache } from '../video/loader.js';
import { videoFeatures, meanView, toTensor, type ExtractOptions } from './extract.js';
import { recallAtK, knnScores, topK } from './metrics.js';

export interface RetrievalOptions extends ExtractOptions {
  ks?: number[];
  knnK?: number;
  knnTemperature?: number;
  log?: (line: string) => void;
}

export interface RetrievalResult {
  recall: Record<string, number>;
  knnTop1: number;
  knnTop5: number;
  queries: number;
  gallery: number;
  badVideos: number;
}

interface FeatureSet {
  x: Tensor;
  labels: number[];
  badVideos: number;
}

async function features(encoder: ResNet3d, dataset: VideoDataset, o: ExtractOptions, cache: VideoCache): Promise<FeatureSet> {
  const rows: Float32Array[] = [], labels: number[] = [];
  const stats = { badVideos: 0 };
  for await (const v of videoFeatures(encoder, dataset, o, cache, stats)) {
    rows.push(meanView(v));
    labels.push(v.label);
  }
  if (rows.length === 0) throw new Error(`${dataset.root}: no readable videos`);
  const x = tidy(() => F.normalize(toTensor(rows), { dim: 1 }));
  return { x, labels, badVideos: stats.badVideos };
}

/** For each query row, the k most similar gallery rows (indices and cosine similarities), in chunks. */
export function nearestNeighbors(queries: Tensor, gallery: Tensor, k: number, chunk = 256): { indices: number[][]; similarities: number[][] } {
  const kk = Math.min(k, gallery.size(0));
  const indices: number[][] = [], similarities: number[][] = [];
  for (let s = 0; s < queries.size(0); s += chunk) {
    tidy(() => noGrad(() => {
      const q = queries.narrow(0, s, Math.min(chunk, queries.size(0) - s));
      const { values, indices: idx } = q.matmul(gallery.t()).topk(kk, 1);
      const v = values.toArray(), i = idx.toArray();
      for (let r = 0; r < q.size(0); r++) {
        indices.push(i.slice(r * kk, (r + 1) * kk));
        similarities.push(v.slice(r * kk, (r + 1) * kk));
      }
    }));
  }
  return { indices, similarities };
}

export async function retrieval(encoder: ResNet3d, gallery: VideoDataset, queries: VideoDataset, o: RetrievalOptions): Promise<RetrievalResult> {
  const ks = o.ks ?? [1, 5, 10, 20], knnK = o.knnK ?? 20;
  for (const d of [gallery, queries]) {
    const unlabelled = d.items.find((it) => it.label < 0);
    if (unlabelled) throw new Error(`retrieval needs labelled videos; ${unlabelled.path} has no label`);
  }
  const log = o.log ?? (() => undefined);
  const cache = new VideoCache();
  log(`retrieve: gallery features (${gallery.items.length} videos)`);
  const g = await features(encoder, gallery, o, cache);
  log(`retrieve: query features (${queries.items.length} videos)`);
  const q = await features(encoder, queries, o, cache);
  try {
    const nn = nearestNeighbors(q.x, g.x, Math.max(knnK, ...ks));
    const recall = Object.fromEntries(ks.map((k) => [String(k), recallAtK(nn.indices, q.labels, g.labels, k)]));
    const classes = Math.max(gallery.classes.length, queries.classes.length);
    const scores = knnScores(nn.indices, nn.similarities, g.labels, classes, knnK, o.knnTemperature ?? 0.07);
    return {
      recall, knnTop1: topK(scores, q.labels, 1), knnTop5: topK(scores, q.labels, Math.min(5, classes)),
      queries: q.labels.length, gallery: g.labels.length, badVideos: g.badVideos + q.badVideos,
    };
  } finally {
    g.x.dispose();
    q.x.dispose();
  }
}
