/**
 * Embedding extraction: one feature vector per video from a frozen encoder, averaged over
 * temporal x spatial evaluation views, streamed batch by batch.
 */
import { Tensor } from '../torch/tensor.js';
import { fromTypedArray } from '../torch/creation.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
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

export interface Embeddings {
  /** [N][D] features per video, in dataset order (videos that could not be read are left out). */
  features: number[][];
  labels: number[];
  indices: number[];
  badVideos: number;
}

export async function extractEmbeddings(encoder: ResNet3d, dataset: VideoDataset, o: ExtractOptions, cache = new VideoCache()): Promise<Embeddings> {
  encoder.eval();
  const loader = new VideoLoader({
    dataset, mode: 'eval', batchSize: o.batchSize ?? 8, frames: o.frames, stride: o.stride, size: o.size,
    decodeShortSide: o.decodeShortSide, temporalViews: o.temporalViews ?? 4, spatialViews: o.spatialViews ?? 1,
    parallelism: o.parallelism ?? 4, shuffle: false, dropLast: false, onBadVideo: () => undefined,
  }, cache);
  const out: Embeddings = { features: [], labels: [], indices: [], badVideos: 0 };
  const seen = new Set<number>();
  for await (const batch of loader) {
    const clips = batch.views[0];
    const feats = tidy(() => noGrad(() => {
      const f = encoder.forward(clips);
      return f.reshape([batch.indices.length, batch.viewsPerVideo, f.size(1)]).mean(1);
    }));
    clips.dispose();
    const d = feats.size(1), flat = feats.toArray();
    feats.dispose();
    batch.indices.forEach((idx, i) => {
      // Replacements for unreadable videos duplicate other videos: keep each video once.
      if (seen.has(idx)) return;
      seen.add(idx);
      out.features.push(flat.slice(i * d, (i + 1) * d));
      out.labels.push(batch.labels[i]);
      out.indices.push(idx);
    });
    o.onProgress?.(seen.size, dataset.items.length);
  }
  out.badVideos = loader.stats.badVideos;
  return out;
}

/** [N][D] rows -> float32 tensor [N, D]. */
export function toTensor(rows: readonly (readonly number[])[]): Tensor {
  const d = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * d);
  rows.forEach((r, i) => flat.set(r, i * d));
  return fromTypedArray(flat, [rows.length, d]);
}
