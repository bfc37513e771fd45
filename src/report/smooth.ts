/**
 * TensorBoard's curve smoothing: an exponential moving average debiased like Adam's moments
 * (divided by 1 - w^n), so the first points are not pulled towards zero. Non-finite values pass
 * through and do not count; a constant curve is returned as is.
 */

/** TensorBoard's default smoothing weight. */
export const DEFAULT_SMOOTHING = 0.6;

export function emaSmooth(ys: readonly number[], weight = DEFAULT_SMOOTHING): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
  if (ys.every((y) => y === ys[0])) return [...ys];
  let last = 0, n = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * weight + (1 - weight) * y;
    n++;
    return last / (1 - weight ** n);
  });
}
