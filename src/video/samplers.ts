/**
 * Temporal samplers: pure functions of (video length in frames, clip span, seeded generator) that
 * return clip start frames. Frames past the end of a short video wrap around (CVRL loops them).
 */
import { Rng } from './rng.js';

export interface ClipSpan {
  /** Frames per clip. */
  frames: number;
  /** Temporal stride. */
  stride: number;
}

/** Number of valid clip starts, T = L - (n-1)s (at least 1: short videos loop). */
export function validStarts(length: number, c: ClipSpan): number {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`video length must be a positive integer, got ${length}`);
  return Math.max(1, length - (c.frames - 1) * c.stride);
}

/**
 * How the gap between the two clips is drawn:
 * - 'cvrl': density P(t) proportional to (T - t)^p (p = 1: 2(T - t)/T^2, the paper's default);
 * - 'uniform-gap': t uniform in [0, T);
 * - 'increasing': density 2t/T^2 (far-apart clips favoured, an ablation);
 * - 'independent': two independent uniform starts.
 */
export const GAP_LAWS = ['cvrl', 'uniform-gap', 'increasing', 'independent'] as const;
export type GapLaw = typeof GAP_LAWS[number];

/** CVRL's test views per video (CVRL.md section 5): 10 evenly spaced clips x 3 spatial crops. */
export const TEST_VIEWS = { temporal: 10, spatial: 3 } as const;

export interface PairOptions extends ClipSpan {
  law?: GapLaw;
  /** Power p of the 'cvrl' family (official code: F(k) = -k^(p+1)/(p T^(p+1)) + k(p+1)/(pT)). */
  power?: number;
}

export interface ClipPair {
  starts: [number, number];
  gap: number;
}

/** CDF of the 'cvrl' gap law on [0, T] for power p. */
export function cvrlGapCdf(k: number, T: number, p = 1): number {
  if (k <= 0) return 0;
  if (k >= T) return 1;
  return -(k ** (p + 1)) / (p * T ** (p + 1)) + (k * (p + 1)) / (p * T);
}

/** Inverts the CDF numerically (it is increasing on [0, T]); closed form for p = 1. */
function sampleCvrlGap(u: number, T: number, p: number): number {
  if (p === 1) return T * (1 - Math.sqrt(1 - u));
  let lo = 0, hi = T;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cvrlGapCdf(mid, T, p) < u) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** CVRL's two-clip sampler: a gap t from the chosen law, start1 ~ U[0, T - t), start2 = start1 + t, then shuffled. */
export function sampleClipPair(length: number, o: PairOptions, rng: Rng): ClipPair {
  const T = validStarts(length, o);
  const law = o.law ?? 'cvrl';
  const p = o.power ?? 1;
  if (!(p > 0)) throw new RangeError(`gap power must be > 0, got ${p}`);
  if (law === 'independent') {
    const a = rng.int(T), b = rng.int(T);
    return { starts: [a, b], gap: Math.abs(a - b) };
  }
  const u = rng.next();
  const k = law === 'cvrl' ? sampleCvrlGap(u, T, p) : law === 'uniform-gap' ? u * T : T * Math.sqrt(u);
  const gap = Math.min(T - 1, Math.floor(k));
  const first = rng.int(T - gap);
  const starts: [number, number] = rng.bernoulli(0.5) ? [first, first + gap] : [first + gap, first];
  return { starts, gap };
}

/** One clip at a uniformly random start (supervised training, linear probe). */
export function sampleRandomClip(length: number, c: ClipSpan, rng: Rng): number {
  return rng.int(validStarts(length, c));
}

/** N evenly spaced clip starts covering the video (multi-view evaluation); one clip is centred. */
export function uniformClipStarts(length: number, c: ClipSpan, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`view count must be a positive integer, got ${count}`);
  const T = validStarts(length, c);
  if (count === 1) return [Math.floor((T - 1) / 2)];
  return Array.from({ length: count }, (_, i) => Math.round((i * (T - 1)) / (count - 1)));
}

/** Pre-training starts of `count` clips of one video: two by the gap law, the rest uniform (CVRL's law for a pair equals two independent uniform starts). */
export function pretrainStarts(length: number, o: PairOptions, count: number, rng: Rng): number[] {
  const starts: number[] = sampleClipPair(length, o, rng).starts;
  while (starts.length < count) starts.push(sampleRandomClip(length, o, rng));
  return starts;
}
