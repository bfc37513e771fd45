/**
 * Warns when the contrastive loss sits at its chance value for long: every clip equally similar to
 * every candidate, the signature of a collapsed embedding or misaligned positives (CVRL.md
 * section 9). For rho clips per video, N videos and M extra negatives, chance is
 * rho ln(rho N - 1 + M) (2 ln(2N - 1) for CVRL's pairs).
 */
export function chanceLoss(videos: number, clipsPerVideo = 2, extraNegatives = 0): number {
  return clipsPerVideo * Math.log(clipsPerVideo * videos - 1 + extraNegatives);
}

export class CollapseWatch {
  #run = 0;
  #warned = false;
  /** `patience` consecutive steps within `tolerance` (relative) of chance trigger one warning. */
  constructor(readonly chance: number, readonly patience = 100, readonly tolerance = 0.02) {}

  /** A warning line the first time the loss has sat at chance for `patience` steps, else null. */
  update(step: number, loss: number): string | null {
    this.#run = Math.abs(loss - this.chance) <= this.tolerance * this.chance ? this.#run + 1 : 0;
    if (this.#run < this.patience || this.#warned) return null;
    this.#warned = true;
    return `warning: the loss has stayed at its chance value ${this.chance.toFixed(3)} for ${this.#run} steps (step ${step}): ` +
      'the embedding may have collapsed. Try a lower lr, weaker augmentation (colorStrength, cropAreaMin) or a larger batch';
  }
}
