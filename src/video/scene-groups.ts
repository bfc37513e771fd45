/**
 * Scene groups for pre-training batches. Contrastive pre-training on few videos learns whatever
 * tells its batch's videos apart most cheaply; when every negative shows another scene, that is
 * the scene's look, which transfers to no other scene. Drawing each batch from a few groups of
 * similar-looking videos makes most negatives share the anchor's look, so only what happens in
 * the clip (its motion) separates them: hard negatives by construction, found without labels.
 *
 * A video's look is its colour distribution over three frames; groups are equal-sized cells of a
 * recursive split of those descriptors along their principal direction (a balanced k-d tree), so
 * every batch covers the same number of groups whatever the data.
 */
import { type VideoDataset } from './dataset.js';
import { probeVideo, decodeClips } from './io.js';
import { Semaphore } from '../util/semaphore.js';

const BINS = 4; // per channel: a 64-bin joint RGB histogram
export const DESCRIPTOR_SIZE = BINS ** 3;

/** Colour histogram (Hellinger-mapped: square roots, unit length) of uint8 RGB pixels [..., 3]. */
export function colourDescriptor(rgb: Uint8Array): Float32Array {
  if (rgb.length === 0 || rgb.length % 3 !== 0) throw new RangeError(`colourDescriptor: expected RGB pixels (a non-empty multiple of 3 bytes), got ${rgb.length}`);
  const h = new Float32Array(DESCRIPTOR_SIZE);
  const q = 256 / BINS;
  for (let i = 0; i < rgb.length; i += 3) {
    h[(Math.floor(rgb[i] / q) * BINS + Math.floor(rgb[i + 1] / q)) * BINS + Math.floor(rgb[i + 2] / q)]++;
  }
  const total = rgb.length / 3;
  for (let k = 0; k < h.length; k++) h[k] = Math.sqrt(h[k] / total);
  return h;
}

export interface DescribeOptions {
  /** Videos decoded at once. */
  parallelism?: number;
  /** Called after each video with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called for a video that cannot be read (it keeps a zero descriptor; the loader skips it later). */
  onBadVideo?: (path: string, reason: string) => void;
}

/** One colour descriptor per dataset item, from frames at a quarter, half and three quarters of the video. */
export async function sceneDescriptors(dataset: VideoDataset, o: DescribeOptions = {}): Promise<Float32Array[]> {
  const sem = new Semaphore(o.parallelism ?? 4);
  let done = 0;
  return Promise.all(dataset.items.map((item) => sem.run(async () => {
    let d: Float32Array = new Float32Array(DESCRIPTOR_SIZE);
    try {
      const L = (await probeVideo(item.path)).frames;
      const starts = [0.25, 0.5, 0.75].map((f) => Math.min(L - 1, Math.floor(f * L)));
      const r = await decodeClips(item.path, { starts, frames: 1, stride: 1, size: { shortSide: 32 } });
      d = colourDescriptor(r.frames.toTypedArray() as Uint8Array);
      r.frames.dispose();
    } catch (e) {
      o.onBadVideo?.(item.path, (e as Error).message);
    }
    o.onProgress?.(++done, dataset.items.length);
    return d;
  })));
}

/** Unit principal direction of the rows `idx` of x (power iteration on the centred data). */
function principalDirection(x: Float32Array[], idx: number[]): Float64Array {
  const D = x[0].length;
  const mean = new Float64Array(D);
  for (const i of idx) for (let k = 0; k < D; k++) mean[k] += x[i][k] / idx.length;
  let v = new Float64Array(D).map((_, k) => 1 + k / D); // deterministic start, not orthogonal to a typical axis
  for (let it = 0; it < 30; it++) {
    const next = new Float64Array(D);
    for (const i of idx) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += (x[i][k] - mean[k]) * v[k];
      for (let k = 0; k < D; k++) next[k] += dot * (x[i][k] - mean[k]);
    }
    const norm = Math.hypot(...next);
    if (norm < 1e-12) break; // all rows equal: any split is as good
    v = next.map((e) => e / norm);
  }
  return v;
}

/**
 * Group ids (0..ceil(n / size) - 1) such that every group but possibly one has exactly `size`
 * members and members look alike: a balanced recursive split along principal directions.
 */
export function balancedGroups(x: Float32Array[], size: number): number[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`balancedGroups: size must be a positive integer, got ${size}`);
  const ids = new Array<number>(x.length).fill(0);
  let next = 0;
  const split = (idx: number[]) => {
    const groups = Math.ceil(idx.length / size);
    if (groups <= 1) {
      const g = next++;
      for (const i of idx) ids[i] = g;
      return;
    }
    const v = principalDirection(x, idx);
    const proj = new Map(idx.map((i) => [i, x[i].reduce((s, e, k) => s + e * v[k], 0)]));
    const sorted = [...idx].sort((a, b) => proj.get(a)! - proj.get(b)! || a - b);
    const cut = Math.floor(groups / 2) * size;
    split(sorted.slice(0, cut));
    split(sorted.slice(cut));
  };
  if (x.length) split(x.map((_, i) => i));
  return ids;
}
