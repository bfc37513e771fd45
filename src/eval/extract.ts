/**
 * Feature extraction from a frozen encoder: per-video features of every temporal x spatial
 * evaluation view, streamed batch by batch (nothing holds the whole dataset), and the
 * view-averaged embeddings built on top of it.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import { Tensor } from '../torch/tensor.js';
import { fromTypedArray } from '../torch/creation.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { toDeviceBatch } from '../torch/device.js';
import { ResNet3d } from '../models/resnet3d.js';
import { type VideoDataset } from '../video/dataset.js';
import { VideoLoader, VideoCache } from '../video/loader.js';

export interface ExtractOptions {
  frames: number;
  stride: number;
  size: number;
  decodeShortSide?: number;
  temporalViews?: number;
  spatialViews?: 1 | 3;
  batchSize?: number;
  parallelism?: number;
  onProgress?: (done: number, total: number) => void;
}

/** One video's features: `views` rows of `dim` values, view-major (temporal outer, spatial inner). */
export interface VideoFeatures {
  index: number;
  label: number;
  path: string;
  views: number;
  dim: number;
  data: Float32Array;
}

export interface Embeddings {
  /** [N][D] view-averaged features per video, in dataset order (unreadable videos are left out). */
  features: number[][];
  labels: number[];
  indices: number[];
  badVideos: number;
}

/** Streams per-view features of every readable video in dataset order; `stats.badVideos` counts the others. */
export async function* videoFeatures(encoder: ResNet3d, dataset: VideoDataset, o: ExtractOptions, cache = new VideoCache(), stats = { badVideos: 0 }): AsyncGenerator<VideoFeatures> {
  encoder.eval();
  const loader = new VideoLoader({
    dataset, mode: 'eval', batchSize: o.batchSize ?? 8, frames: o.frames, stride: o.stride, size: o.size,
    decodeShortSide: o.decodeShortSide, temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial,
    parallelism: o.parallelism ?? 4, shuffle: false, dropLast: false, onBadVideo: () => undefined,
  }, cache);
  const seen = new Set<number>();
  for await (const batch of loader) {
    const [clips] = toDeviceBatch([batch.views[0]], encoder.device);
    const feats = tidy(() => noGrad(() => encoder.forward(clips)));
    clips.dispose();
    const flat = feats.toTypedArray() as Float32Array;
    const dim = feats.size(1), V = batch.viewsPerVideo;
    feats.dispose();
    for (let i = 0; i < batch.indices.length; i++) {
      const index = batch.indices[i];
      // Replacements for unreadable videos duplicate other videos: keep each video once.
      if (seen.has(index)) continue;
      seen.add(index);
      yield { index, label: batch.labels[i], path: dataset.items[index].path, views: V, dim, data: flat.slice(i * V * dim, (i + 1) * V * dim) };
    }
    o.onProgress?.(seen.size, dataset.items.length);
  }
  stats.badVideos = loader.stats.badVideos;
}

/** The mean over a video's views. */
export function meanView(v: VideoFeatures): Float32Array {
  const out = new Float32Array(v.dim);
  for (let r = 0; r < v.views; r++) for (let j = 0; j < v.dim; j++) out[j] += v.data[r * v.dim + j];
  for (let j = 0; j < v.dim; j++) out[j] /= v.views;
  return out;
}

/** View-averaged embeddings of a whole dataset, in memory (for small datasets; `cvrl embed` streams). */
export async function extractEmbeddings(encoder: ResNet3d, dataset: VideoDataset, o: ExtractOptions, cache = new VideoCache()): Promise<Embeddings> {
  const out: Embeddings = { features: [], labels: [], indices: [], badVideos: 0 };
  const stats = { badVideos: 0 };
  for await (const v of videoFeatures(encoder, dataset, { temporalViews: 4, spatialViews: 1, ...o }, cache, stats)) {
    out.features.push(Array.from(meanView(v)));
    out.labels.push(v.label);
    out.indices.push(v.index);
  }
  out.badVideos = stats.badVideos;
  return out;
}

/** [N][D] rows -> float32 tensor [N, D]. */
export function toTensor(rows: readonly (readonly number[] | Float32Array)[]): Tensor {
  const d = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * d);
  rows.forEach((r, i) => flat.set(r, i * d));
  return fromTypedArray(flat, [rows.length, d]);
}
