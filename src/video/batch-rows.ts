/**
 * Batch tensors allocated before their clips exist: each augmentation job writes its clip straight
 * into its row on a worker thread, so a finished batch needs no stacking copy on the JS thread
 * (which is the thread that also drives the model).
 */
import { Tensor } from '../torch/tensor.js';
import { empty } from '../torch/creation.js';

export class BatchRows {
  readonly #batches = new Map<number, Tensor[]>();

  /** rows(b): videos in batch b; clipShapes: one shape per clip tensor of a video ([3, T, S, S], or eval's [views, 3, T, S, S]). */
  constructor(private readonly rows: (b: number) => number, private readonly clipShapes: readonly number[][]) {}

  /** Views of row k of batch b, one per clip of the video (allocates the batch on first use); the caller disposes them. */
  row(b: number, k: number): Tensor[] {
    let views = this.#batches.get(b);
    if (!views) {
      views = this.clipShapes.map((s) => empty([this.rows(b), ...s]));
      this.#batches.set(b, views);
    }
    return views.map((v) => v.select(0, k));
  }

  /** Batch b's views [rows, 3, T, S, S], handed over to the caller. */
  take(b: number): Tensor[] {
    const views = this.#batches.get(b);
    if (!views) throw new Error(`BatchRows: batch ${b} was never started`);
    this.#batches.delete(b);
    return views;
  }

  dispose(): void {
    for (const views of this.#batches.values()) views.forEach((v) => v.dispose());
    this.#batches.clear();
  }
}
