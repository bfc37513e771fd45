/**
 * Class-balanced, seeded label subsets for semi-supervised fine-tuning (CVRL: 1% and 10% of the
 * training labels). Every class keeps round(fraction x its count) videos, at least one, chosen by
 * a seeded shuffle, so the same (dataset, fraction, seed) always gives the same subset.
 */
import { type VideoDataset } from '../video/dataset.js';
import { Rng } from '../video/rng.js';
import { namingOptions } from '../util/option-error.js';
import { append } from '../util/array.js';

export function labelFractionSubset(dataset: VideoDataset, fraction: number, seed = 0): VideoDataset {
  if (!(fraction > 0 && fraction <= 1)) throw namingOptions(new RangeError(`labelFraction must be in (0, 1], got ${fraction}`), 'labelFraction');
  if (fraction === 1) return dataset;
  const byClass = new Map<number, number[]>();
  dataset.items.forEach((item, i) => {
    if (item.label < 0) throw namingOptions(new RangeError(`labelFraction needs labelled videos; ${item.path} has none`), 'labelFraction');
    const idx = byClass.get(item.label);
    if (idx) idx.push(i); else byClass.set(item.label, [i]);
  });
  const keep: number[] = [];
  for (const [label, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const n = Math.max(1, Math.round(fraction * idx.length));
    append(keep, Rng.from(seed, 0x1abe1, label).shuffle([...idx]).slice(0, n));
  }
  keep.sort((a, b) => a - b);
  return { ...dataset, items: keep.map((i) => dataset.items[i]) };
}
