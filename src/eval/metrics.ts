/** Classification and retrieval metrics, computed from plain arrays (scores are [N][C]). */

/** Top-k accuracy in percent: the label is among the k highest scores. */
export function topK(scores: readonly (readonly number[])[], labels: readonly number[], k: number): number {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} score rows for ${labels.length} labels`);
  if (scores.length === 0) return NaN;
  let hit = 0;
  scores.forEach((row, i) => {
    const target = row[labels[i]];
    // Rank = number of classes scoring strictly higher (ties count in the label's favour).
    const higher = row.filter((s) => s > target).length;
    if (higher < k) hit++;
  });
  return (100 * hit) / scores.length;
}

export function argmax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** confusion[true][predicted] counts. */
export function confusionMatrix(predictions: readonly number[], labels: readonly number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  predictions.forEach((p, i) => { m[labels[i]][p]++; });
  return m;
}

/** Accuracy per class in percent (NaN for classes with no samples). */
export function perClassAccuracy(confusion: readonly (readonly number[])[]): number[] {
  return confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n ? (100 * row[c]) / n : NaN;
  });
}

export interface ClassificationReport {
  top1: number;
  top5: number;
  perClass: number[];
  confusion: number[][];
}

export function classificationReport(scores: readonly (readonly number[])[], labels: readonly number[], classes: number): ClassificationReport {
  const confusion = confusionMatrix(scores.map(argmax), labels, classes);
  return { top1: topK(scores, labels, 1), top5: topK(scores, labels, Math.min(5, classes)), perClass: perClassAccuracy(confusion), confusion };
}

/**
 * Recall@k in percent (the clip-retrieval protocol of video SSL papers): a query counts as a hit
 * when any of its k nearest gallery items has the query's label. `neighbors[q]` lists gallery
 * indices from the most to the least similar.
 */
export function recallAtK(neighbors: readonly (readonly number[])[], queryLabels: readonly number[], galleryLabels: readonly number[], k: number): number {
  if (neighbors.length !== queryLabels.length) throw new RangeError(`${neighbors.length} neighbour lists for ${queryLabels.length} queries`);
  if (neighbors.length === 0) return NaN;
  let hit = 0;
  neighbors.forEach((row, q) => {
    if (row.slice(0, k).some((g) => galleryLabels[g] === queryLabels[q])) hit++;
  });
  return (100 * hit) / neighbors.length;
}

/**
 * k-nearest-neighbour class scores: each of the k nearest gallery items votes for its label with
 * weight exp(similarity / temperature) (Wu et al. 2018). Returns [Q][C] scores.
 */
export function knnScores(neighbors: readonly (readonly number[])[], similarities: readonly (readonly number[])[], galleryLabels: readonly number[], classes: number, k: number, temperature = 0.07): number[][] {
  return neighbors.map((row, q) => {
    const s = new Array<number>(classes).fill(0);
    row.slice(0, k).forEach((g, j) => { s[galleryLabels[g]] += Math.exp(similarities[q][j] / temperature); });
    return s;
  });
}
