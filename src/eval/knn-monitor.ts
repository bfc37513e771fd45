/**
 * Online kNN monitoring during pre-training (PySlowFast's KNN habit): every K steps, the encoder's
 * view-averaged features of a labelled subset of the training split form the gallery, a subset of
 * the test split queries it, and the weighted kNN top-1 is logged. One centre clip per video keeps
 * it cheap; the encoder is switched to eval mode for the pass and back afterwards.
 */
import { type ResNet3d } from '../models/resnet3d.js';
import { type VideoDataset } from '../video/dataset.js';
import { retrieval } from './retrieval.js';
import { openSplit, type EvalDataSpec } from './eval-data.js';
import { type ClipOptions } from './supervised.js';

export type EncoderMonitor = (encoder: ResNet3d) => Promise<Record<string, number>>;

/** An evenly spaced subset of at most `n` videos (deterministic, covers every class in list order). */
function subset(d: VideoDataset, n: number): VideoDataset {
  if (d.items.length <= n) return d;
  const step = d.items.length / n;
  return { ...d, items: Array.from({ length: n }, (_, i) => d.items[Math.floor(i * step)]) };
}

export function knnMonitor(spec: EvalDataSpec, clip: ClipOptions, o: { videos: number; parallelism?: number }): EncoderMonitor {
  const { train, test } = openSplit(spec, typeof spec.split === 'number' ? spec.split : undefined);
  const unlabelled = [...train.items, ...test.items].find((it) => it.label < 0);
  if (unlabelled) throw new Error(`kNN monitoring needs labelled videos; ${unlabelled.path} has no label`);
  const gallery = subset(train, o.videos), queries = subset(test, o.videos);
  return async (encoder) => {
    const wasTraining = encoder.training;
    encoder.eval();
    try {
      const r = await retrieval(encoder, gallery, queries, { ...clip, temporalViews: 1, spatialViews: 1, parallelism: o.parallelism, ks: [1] });
      return { knn_top1: r.knnTop1 };
    } finally {
      if (wasTraining) encoder.train();
    }
  };
}
