// Retrieval metrics on hand-computed cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recallAtK, knnScores, topK } from '../../src/eval/metrics.js';

test('recall@k counts a query when any of its k nearest gallery items shares its label', () => {
  const gallery = [0, 1, 1, 2, 0];
  const neighbors = [
    [1, 0, 3, 2, 4], // query label 0: first match at rank 2
    [2, 1, 0, 3, 4], // query label 1: rank 1
    [0, 4, 1, 2, 3], // query label 2: rank 5 (gallery 3 is last)
  ];
  const q = [0, 1, 2];
  assert.equal(recallAtK(neighbors, q, gallery, 1), 100 / 3);
  assert.equal(recallAtK(neighbors, q, gallery, 2), 200 / 3);
  assert.equal(recallAtK(neighbors, q, gallery, 4), 200 / 3);
  assert.equal(recallAtK(neighbors, q, gallery, 5), 100);
  assert.ok(Number.isNaN(recallAtK([], [], gallery, 1)));
  assert.throws(() => recallAtK(neighbors, [0], gallery, 1), /3 neighbour lists for 1 queries/);
});

test('kNN scores weight each of the k nearest votes by exp(similarity / T)', () => {
  const gallery = [0, 1, 1];
  const s = knnScores([[0, 1, 2]], [[0.9, 0.5, 0.4]], gallery, 2, 3, 0.5);
  assert.ok(Math.abs(s[0][0] - Math.exp(1.8)) < 1e-12);
  assert.ok(Math.abs(s[0][1] - (Math.exp(1.0) + Math.exp(0.8))) < 1e-12);
  // Two close neighbours of class 1 outvote one closer neighbour of class 0 at a high temperature, not at a low one.
  assert.equal(topK(knnScores([[0, 1, 2]], [[0.9, 0.5, 0.4]], gallery, 2, 3, 10), [1], 1), 100);
  assert.equal(topK(knnScores([[0, 1, 2]], [[0.9, 0.5, 0.4]], gallery, 2, 3, 0.05), [1], 1), 0);
  // Only k neighbours vote.
  assert.deepEqual(knnScores([[0, 1, 2]], [[0.9, 0.5, 0.4]], gallery, 2, 1, 1)[0][1], 0);
});
