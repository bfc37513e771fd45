/**
 * Principal component analysis to two dimensions, for drawing embeddings. Deterministic: the
 * covariance is formed in float64 with libtorch, then a block power (orthogonal) iteration with a
 * Rayleigh-Ritz step finds its two leading eigenvectors from a fixed start; each axis's sign is
 * fixed so that its largest-magnitude loading is positive (as in scikit-learn's svd_flip).
 */
import { fromTypedArray } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { type Tensor } from '../torch/tensor.js';

export interface Pca2d {
  /** [N, 2] row-major projections of the centred points onto the two leading components. */
  points: Float64Array;
  /** [2, D] row-major: the two principal axes (unit vectors; the second is 0 when D = 1). */
  axes: Float64Array;
  /** Variance along each axis divided by the total variance (0 when all points coincide). */
  explained: [number, number];
  iterations: number;
}

export interface PcaOptions {
  maxIterations?: number;
  /** Stop when every Ritz residual |C v - theta v| is below tol x theta_1. */
  tol?: number;
}

/** Copies a float64 tensor's elements out and frees it. */
function read(t: Tensor): Float64Array {
  try {
    return Float64Array.from(t.toTypedArray() as Float64Array);
  } finally {
    t.dispose();
  }
}

/** Eigen-decomposition of the symmetric 2x2 [[a, b], [b, c]]: values descending, unit vectors. */
function eig2(a: number, b: number, c: number): { values: [number, number]; vectors: [[number, number], [number, number]] } {
  const m = (a + c) / 2, r = Math.hypot((a - c) / 2, b);
  const l1 = m + r, l2 = m - r;
  let v: [number, number];
  if (Math.abs(b) > 1e-300) {
    v = [l1 - c, b];
    const n = Math.hypot(v[0], v[1]);
    if (n === 0) v = [1, 0];
    else v = [v[0] / n, v[1] / n];
  } else {
    v = a >= c ? [1, 0] : [0, 1];
  }
  return { values: [l1, l2], vectors: [v, [-v[1], v[0]]] };
}

/** Orthonormalises the two columns of V ([D, 2] row-major) in place; replaces a degenerate column. */
function orthonormalize(V: Float64Array, d: number): void {
  const col = (j: number) => {
    let s = 0;
    for (let i = 0; i < d; i++) s += V[i * 2 + j] * V[i * 2 + j];
    return Math.sqrt(s);
  };
  for (let j = 0; j < 2; j++) {
    if (j === 1) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += V[i * 2] * V[i * 2 + 1];
      for (let i = 0; i < d; i++) V[i * 2 + 1] -= dot * V[i * 2];
    }
    let n = col(j);
    if (!(n > 1e-150)) {
      // A rank-deficient covariance: restart this column from a fixed vector orthogonal to the first.
      for (let i = 0; i < d; i++) V[i * 2 + j] = Math.cos(1.7 * i + 0.5 + j);
      if (j === 1) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += V[i * 2] * V[i * 2 + 1];
        for (let i = 0; i < d; i++) V[i * 2 + 1] -= dot * V[i * 2];
      }
      n = col(j);
      if (!(n > 1e-150)) n = 1;
    }
    for (let i = 0; i < d; i++) V[i * 2 + j] /= n;
  }
}

/**
 * Projects N points of dimension D (row-major [N, D]) onto their two principal components.
 * D = 1 gives a second coordinate of 0; N = 1 or identical points give all zeros.
 */
export function pca2d(data: Float32Array | Float64Array, n: number, d: number, o: PcaOptions = {}): Pca2d {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1) throw new RangeError(`pca2d: need at least one point of dimension >= 1, got N=${n}, D=${d}`);
  if (data.length !== n * d) throw new RangeError(`pca2d: ${data.length} values is not N x D = ${n} x ${d}`);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new RangeError(`pca2d: non-finite value ${data[i]} at row ${Math.floor(i / d)}, column ${i % d}`);
  const maxIt = o.maxIterations ?? 1000, tol = o.tol ?? 1e-10;
  const X = tidy(() => {
    const x = fromTypedArray(data, [n, d]).double();
    return x.sub(x.mean(0, true));
  });
  const C = tidy(() => X.t().mm(X).div(Math.max(1, n - 1)));
  try {
    const total = tidy(() => X.mul(X).sum().item()) / Math.max(1, n - 1); // trace of C
    const V = new Float64Array(d * 2);
    let iterations = 0;
    let theta: [number, number] = [0, 0];
    if (d === 1) {
      V[0] = 1;
      theta = [total, 0];
    } else if (total > 0) {
      for (let i = 0; i < d; i++) {
        V[i * 2] = 1 + 0.5 * Math.cos(0.7 * i + 0.3);
        V[i * 2 + 1] = Math.sin(1.3 * i + 0.1);
      }
      orthonormalize(V, d);
      const times = (v: Float64Array): Float64Array => read(tidy(() => C.mm(fromTypedArray(v, [d, 2]))));
      for (iterations = 1; iterations <= maxIt; iterations++) {
        const W = times(V);
        // Rayleigh-Ritz in span(V): rotate V to the eigenvectors of V^T C V.
        let a = 0, b = 0, c = 0;
        for (let i = 0; i < d; i++) {
          a += V[i * 2] * W[i * 2];
          b += V[i * 2] * W[i * 2 + 1];
          c += V[i * 2 + 1] * W[i * 2 + 1];
        }
        const e = eig2(a, b, c);
        theta = e.values;
        const [[p0, p1], [q0, q1]] = e.vectors;
        let res = 0;
        for (let i = 0; i < d; i++) {
          const v0 = V[i * 2] * p0 + V[i * 2 + 1] * p1, v1 = V[i * 2] * q0 + V[i * 2 + 1] * q1;
          const w0 = W[i * 2] * p0 + W[i * 2 + 1] * p1, w1 = W[i * 2] * q0 + W[i * 2 + 1] * q1;
          res = Math.max(res, Math.abs(w0 - theta[0] * v0), Math.abs(w1 - theta[1] * v1));
          V[i * 2] = v0;
          V[i * 2 + 1] = v1;
          W[i * 2] = w0;
          W[i * 2 + 1] = w1;
        }
        if (res <= tol * theta[0]) break;
        V.set(W);
        orthonormalize(V, d);
      }
      iterations = Math.min(iterations, maxIt);
    }
    // Sign convention: the largest-magnitude loading of each axis is positive.
    for (let j = 0; j < 2; j++) {
      let best = 0;
      for (let i = 0; i < d; i++) if (Math.abs(V[i * 2 + j]) > Math.abs(best)) best = V[i * 2 + j];
      if (best < 0) for (let i = 0; i < d; i++) V[i * 2 + j] = -V[i * 2 + j];
    }
    const points = total > 0
      ? read(tidy(() => X.mm(fromTypedArray(V, [d, 2]))))
      : new Float64Array(n * 2);
    const axes = new Float64Array(2 * d);
    for (let i = 0; i < d; i++) {
      axes[i] = V[i * 2];
      axes[d + i] = V[i * 2 + 1];
    }
    const frac = (x: number) => (total > 0 ? Math.max(0, x) / total : 0);
    return { points, axes, explained: [frac(theta[0]), frac(theta[1])], iterations };
  } finally {
    X.dispose();
    C.dispose();
  }
}
