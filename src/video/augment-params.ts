/**
 * Spatial augmentation parameters, drawn per clip (temporally consistent: every frame of a clip gets
 * the same crop, flip, colour, blur) or per frame (the "inconsistent" ablation). Defaults are the
 * official CVRL / SimCLR values; every value is configurable.
 */
import { Rng } from './rng.js';

export interface AugmentConfig {
  /** Output crop size S (S x S). */
  size: number;
  /** Random resized crop: area fraction and aspect-ratio ranges. */
  cropArea: [number, number];
  cropAspect: [number, number];
  flipProb: number;
  /** Colour jitter (brightness, contrast, saturation, hue in random order) probability and strengths. */
  jitterProb: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  grayscaleProb: number;
  /** Gaussian blur: probability, sigma range, kernel size as a fraction of the crop side. */
  blurProb: number;
  blurSigma: [number, number];
  blurKernelFraction: number;
  solarizeProb: number;
  /** false: draw parameters independently for every frame (destroys motion; an ablation). */
  consistent: boolean;
}

/** CVRL's two views: blur p = 1.0 and no solarize for clip 1; blur p = 0.1 and solarize p = 0.2 for clip 2. */
export function cvrlViewConfigs(size: number, overrides: Partial<AugmentConfig> = {}): [AugmentConfig, AugmentConfig] {
  const base: AugmentConfig = {
    size, cropArea: [0.3, 1], cropAspect: [0.5, 2], flipProb: 0.5,
    jitterProb: 0.8, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2,
    grayscaleProb: 0.2, blurProb: 1.0, blurSigma: [0.1, 2.0], blurKernelFraction: 0.1, solarizeProb: 0,
    consistent: true,
  };
  return [{ ...base, ...overrides }, { ...base, blurProb: 0.1, solarizeProb: 0.2, ...overrides }];
}

/** Supervised training / linear-probe augmentation: crop and flip only. */
export function cropFlipConfig(size: number, overrides: Partial<AugmentConfig> = {}): AugmentConfig {
  return { ...cvrlViewConfigs(size)[0], jitterProb: 0, grayscaleProb: 0, blurProb: 0, solarizeProb: 0, ...overrides };
}

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface ClipParams {
  crop: CropBox;
  flip: boolean;
  /** Colour jitter factors and the order of the four ops (0 brightness, 1 contrast, 2 saturation, 3 hue), or null. */
  jitter: { order: number[]; brightness: number; contrast: number; saturation: number; hue: number } | null;
  grayscale: boolean;
  /** Blur sigma, or null. */
  blur: number | null;
  solarize: boolean;
}

/** torchvision's RandomResizedCrop box: 10 tries at a random area and log-uniform aspect, then a centre crop. */
export function sampleCrop(h: number, w: number, area: [number, number], aspect: [number, number], rng: Rng): CropBox {
  const total = h * w;
  const [la, lb] = [Math.log(aspect[0]), Math.log(aspect[1])];
  for (let i = 0; i < 10; i++) {
    const target = total * rng.uniform(area[0], area[1]);
    const ar = Math.exp(rng.uniform(la, lb));
    const cw = Math.round(Math.sqrt(target * ar)), ch = Math.round(Math.sqrt(target / ar));
    if (cw > 0 && ch > 0 && cw <= w && ch <= h) return { top: rng.int(h - ch + 1), left: rng.int(w - cw + 1), height: ch, width: cw };
  }
  const ratio = w / h;
  let cw = w, ch = h;
  if (ratio < aspect[0]) ch = Math.round(w / aspect[0]);
  else if (ratio > aspect[1]) cw = Math.round(h * aspect[1]);
  return { top: Math.floor((h - ch) / 2), left: Math.floor((w - cw) / 2), height: ch, width: cw };
}

/** Draws one parameter set for a frame of size h x w. */
export function sampleParams(c: AugmentConfig, h: number, w: number, rng: Rng): ClipParams {
  const crop = sampleCrop(h, w, c.cropArea, c.cropAspect, rng);
  const flip = rng.bernoulli(c.flipProb);
  const jitter = rng.bernoulli(c.jitterProb)
    ? {
      order: rng.shuffle([0, 1, 2, 3]),
      brightness: rng.uniform(Math.max(0, 1 - c.brightness), 1 + c.brightness),
      contrast: rng.uniform(Math.max(0, 1 - c.contrast), 1 + c.contrast),
      saturation: rng.uniform(Math.max(0, 1 - c.saturation), 1 + c.saturation),
      hue: rng.uniform(-c.hue, c.hue),
    }
    : null;
  const grayscale = rng.bernoulli(c.grayscaleProb);
  const blur = rng.bernoulli(c.blurProb) ? rng.uniform(c.blurSigma[0], c.blurSigma[1]) : null;
  const solarize = rng.bernoulli(c.solarizeProb);
  return { crop, flip, jitter, grayscale, blur, solarize };
}

/** Parameters for a clip of `frames` frames: one shared set (consistent) or one per frame. */
export function sampleClipParams(c: AugmentConfig, frames: number, h: number, w: number, rng: Rng): ClipParams[] {
  if (c.consistent) {
    const p = sampleParams(c, h, w, rng);
    return Array.from({ length: frames }, () => p);
  }
  return Array.from({ length: frames }, () => sampleParams(c, h, w, rng));
}

export function validateAugment(c: AugmentConfig): void {
  const bad = (m: string): never => { throw new RangeError(`augmentation: ${m}`); };
  if (!Number.isInteger(c.size) || c.size < 1) bad(`size must be a positive integer, got ${c.size}`);
  if (!(c.cropArea[0] > 0 && c.cropArea[0] <= c.cropArea[1] && c.cropArea[1] <= 1)) bad(`cropArea must satisfy 0 < min <= max <= 1, got [${c.cropArea}]`);
  if (!(c.cropAspect[0] > 0 && c.cropAspect[0] <= c.cropAspect[1])) bad(`cropAspect must satisfy 0 < min <= max, got [${c.cropAspect}]`);
  for (const k of ['flipProb', 'jitterProb', 'grayscaleProb', 'blurProb', 'solarizeProb'] as const) {
    if (!(c[k] >= 0 && c[k] <= 1)) bad(`${k} must be in [0, 1], got ${c[k]}`);
  }
  if (!(c.hue >= 0 && c.hue <= 0.5)) bad(`hue must be in [0, 0.5], got ${c.hue}`);
  for (const k of ['brightness', 'contrast', 'saturation'] as const) if (!(c[k] >= 0)) bad(`${k} must be >= 0, got ${c[k]}`);
  if (!(c.blurSigma[0] > 0 && c.blurSigma[0] <= c.blurSigma[1])) bad(`blurSigma must satisfy 0 < min <= max, got [${c.blurSigma}]`);
}
