// Nearest neighbours and the retrieval scores built on them, on four 2-D gallery points worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/torch/index.js';
import { nearestNeighbors } from '../../src/eval/retrieval.js';
import { recallAtK, knnScores, topK } from '../../src/eval/metrics.js';

test('nearest neighbours by cosine similarity, across query chunks, and recall@k / kNN top-1 from them', () => {
  // Unit vectors: g0 = (1, 0), g1 = (0, 1), g2 = (0.6, 0.8), g3 = (-1, 0).
  const galleryLabels = [0, 1, 0, 2];
  const queryLabels = [0, 0, 0];
  const nn = tidy(() => {
    const gallery = tensor([[1, 0], [0, 1], [0.6, 0.8], [-1, 0]]);
    const queries = tensor([[1, 0], [0.8, 0.6], [-0.6, -0.8]]);
    return nearestNeighbors(queries, gallery, 2, 2);
  });
  // q0 = (1, 0): similarities 1, 0, 0.6, -1. q1 = (0.8, 0.6): 0.8, 0.6, 0.96, -0.8. q2 = (-0.6, -0.8): -0.6, -0.8, -1, 0.6.
  assert.deepEqual(nn.indices, [[0, 2], [2, 0], [3, 0]]);
  const expected = [[1, 0.6], [0.96, 0.8], [0.6, -0.6]];
  nn.similarities.forEach((row, i) => row.forEach((s, j) => assert.ok(Math.abs(s - expected[i][j]) < 1e-6, `query ${i}, neighbour ${j}: ${s}`)));
  // q0 and q1 find class 0 first; q2 finds class 2 first and class 0 second.
  assert.equal(recallAtK(nn.indices, queryLabels, galleryLabels, 1), 200 / 3);
  assert.equal(recallAtK(nn.indices, queryLabels, galleryLabels, 2), 100);
  // kNN with k = 2, T = 1: q2's votes are class 2: e^0.6, class 0: e^-0.6, so it alone is wrong.
  const scores = knnScores(nn.indices, nn.similarities, galleryLabels, 3, 2, 1);
  assert.equal(topK(scores, queryLabels, 1), 200 / 3);
  assert.ok(Math.abs(scores[2][2] - Math.exp(0.6)) < 1e-5 && Math.abs(scores[2][0] - Math.exp(-0.6)) < 1e-5);
});
