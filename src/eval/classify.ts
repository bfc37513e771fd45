/**
 * Multi-view testing shared by the linear probe and fine-tuning: every test video is scored on
 * its temporal x spatial views and the softmax scores are averaged (CVRL: 10 x 3 views).
 */
import { type ResNet3d } from '../models/resnet3d.js';
import { type Module } from '../nn/module.js';
import { type Tensor } from '../torch/tensor.js';
import { fromTypedArray } from '../torch/creation.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import * as F from '../torch/functional.js';
import { type VideoDataset } from '../video/dataset.js';
import { VideoCache } from '../video/loader.js';
import { videoFeatures, type ExtractOptions } from './extract.js';
import { classificationReport, type ClassificationReport } from './metrics.js';

export interface MultiViewResult extends ClassificationReport {
  videos: number;
  badVideos: number;
}

/** Averages softmax(head(encoder(view))) over each video's views and scores the averages. */
export async function multiViewTest(encoder: ResNet3d, head: Module<[Tensor], Tensor>, dataset: VideoDataset, o: ExtractOptions, cache = new VideoCache()): Promise<MultiViewResult> {
  head.eval();
  const classes = dataset.classes.length;
  const scores: number[][] = [], labels: number[] = [];
  const stats = { badVideos: 0 };
  for await (const v of videoFeatures(encoder, dataset, o, cache, stats)) {
    const row = tidy(() => noGrad(() => F.softmax(head.forward(fromTypedArray(v.data, [v.views, v.dim], { device: head.device })), 1).mean(0).toArray()));
    scores.push(row);
    labels.push(v.label);
  }
  if (labels.some((l) => l < 0 || l >= classes)) throw new Error(`${dataset.root}: test videos must be labelled with one of ${classes} classes`);
  return { ...classificationReport(scores, labels, classes), videos: labels.length, badVideos: stats.badVideos };
}
