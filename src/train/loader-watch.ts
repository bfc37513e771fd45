/**
 * Says once when the loader, not the model, sets a run's pace: over a window of steps, the loop
 * waited for its batch for more than `threshold` of the time. Windows start counting after the
 * run's first epoch (whose batches also fill the frame cache) or after 4 windows, whichever comes
 * first, so a cache that is still filling does not trigger it in a run that will not wait later.
 */
export class LoaderWatch {
  #firstStep = -1;
  #firstEpoch = -1;
  #mark: { step: number; wait: number; compute: number } | null = null;
  #warned = false;

  /** advice: what to try, appended to the warning (the knobs and their current values). */
  constructor(readonly advice: string, readonly window = 50, readonly threshold = 0.2) {}

  /** waitMs, computeMs: cumulative since the run (or resume) started. A warning line once, else null. */
  update(step: number, epoch: number, waitMs: number, computeMs: number): string | null {
    if (this.#warned) return null;
    if (this.#firstStep < 0) [this.#firstStep, this.#firstEpoch] = [step, epoch];
    if (!this.#mark) {
      if (epoch === this.#firstEpoch && step - this.#firstStep < 4 * this.window) return null;
      this.#mark = { step, wait: waitMs, compute: computeMs };
      return null;
    }
    if (step - this.#mark.step < this.window) return null;
    const wait = waitMs - this.#mark.wait, compute = computeMs - this.#mark.compute;
    const share = wait / Math.max(1e-9, wait + compute);
    const from = this.#mark.step;
    this.#mark = { step, wait: waitMs, compute: computeMs };
    if (share < this.threshold) return null;
    this.#warned = true;
    return `warning: the data loader sets the pace: steps ${from + 1}-${step} waited for their batches ${Math.round(share * 100)}% of the time. ${this.advice}`;
  }
}

/** The knobs that feed the model faster, with their values in this run; augmentOn: the loader's (resolved). */
export function loaderAdvice(c: { parallelism: number; prefetch: number; frameCacheMb: number; threads: number }, cores: number, augmentOn: 'workers' | 'step'): string {
  return `Try more videos decoded at once (--parallelism, now ${c.parallelism}) or more batches ahead (--prefetch, now ${c.prefetch}); ` +
    `a frame cache that holds the decoded data set (--frame-cache-mb, now ${c.frameCacheMb}); or a smaller --decode-short-side. ` +
    `Decoding shares this machine's ${cores} cores with the ${c.threads} compute threads.` +
    (augmentOn === 'step' ? " The wait includes each batch's augmentation on the compute threads (--augment-on step); with cores to spare, --augment-on workers overlaps it with the step." : '');
}
