import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { manualSeed } from '../../src/torch/index.js';
import { createModel } from '../../src/models/index.js';
import { synthesizeDataset } from '../../src/video/index.js';
import { knnMonitor } from '../../src/eval/knn-monitor.js';
import { retrieval } from '../../src/eval/retrieval.js';
import { openSplit } from '../../src/eval/eval-data.js';
import { tempDir } from '../helpers/python.js';

test('kNN monitor: the retrieval kNN top-1 of one centre clip per video, training mode restored', async () => {
  const root = tempDir('cvrl-knn-');
  await synthesizeDataset({ out: root, format: 'ucf101', classes: 3, videosPerClass: 5, frames: 12, size: 32 });
  const spec = { data: root, format: 'ucf101' as const, annotations: join(root, 'annotations'), split: 1 };
  const clip = { frames: 4, stride: 2, size: 24 };
  manualSeed(0);
  const encoder = createModel('r3d_18_tiny');
  encoder.train();
  const r = await knnMonitor(spec, clip, { videos: 100 })(encoder);
  assert.equal(encoder.training, true);
  const { train, test: testSet } = openSplit(spec, 1);
  encoder.eval();
  const want = await retrieval(encoder, train, testSet, { ...clip, temporalViews: 1, spatialViews: 1, ks: [1] });
  assert.deepEqual(r, { knn_top1: want.knnTop1 });
});
