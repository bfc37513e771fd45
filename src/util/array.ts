/**
 * Reductions over data-sized arrays. Math.max(...xs) and push(...xs) pass every element as an
 * argument and overflow the stack past roughly 100k elements, so these loop instead.
 */

/** The largest element of xs, or `empty` when there is none. */
export function maxOf(xs: ArrayLike<number>, empty = -Infinity): number {
  let m = empty;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m) m = xs[i];
  return m;
}

/** The smallest element of xs, or `empty` when there is none. */
export function minOf(xs: ArrayLike<number>, empty = Infinity): number {
  let m = empty;
  for (let i = 0; i < xs.length; i++) if (xs[i] < m) m = xs[i];
  return m;
}

/** Appends src to dst in place. */
export function append<T>(dst: T[], src: readonly T[]): T[] {
  for (const x of src) dst.push(x);
  return dst;
}
