/** CVRL's two view configurations (CVRL.md section 3) from the pre-training config: the policy, not the sampling. */
import { cvrlViewConfigs, type AugmentConfig } from '../video/augment-params.js';

/** The pre-training config keys that shape the views (train/config.ts documents them). */
export interface ViewKeys {
  size: number;
  cropAreaMin: number;
  flipProb: number;
  jitterProb: number;
  grayscaleProb: number;
  colorStrength: number;
  hue?: number;
  consistent: boolean;
  blurProb: [number, number];
  solarizeProb: [number, number];
}

export function pretrainViews(c: ViewKeys): [AugmentConfig, AugmentConfig] {
  const [v1, v2] = cvrlViewConfigs(c.size, {
    cropArea: [c.cropAreaMin, 1], flipProb: c.flipProb, jitterProb: c.jitterProb, grayscaleProb: c.grayscaleProb,
    brightness: 0.8 * c.colorStrength, contrast: 0.8 * c.colorStrength, saturation: 0.8 * c.colorStrength, hue: c.hue ?? Math.min(0.5, 0.2 * c.colorStrength),
    consistent: c.consistent,
  });
  // Per-view blur and solarize (view 1 always blurred, view 2 sometimes solarized in the paper).
  return [{ ...v1, blurProb: c.blurProb[0], solarizeProb: c.solarizeProb[0] }, { ...v2, blurProb: c.blurProb[1], solarizeProb: c.solarizeProb[1] }];
}
