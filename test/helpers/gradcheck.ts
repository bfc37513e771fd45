/** Finite-difference gradient checking in float64 (central differences, random output projection). */
import { Tensor, noGrad, tidy, randn, manualSeed } from '../../src/torch/index.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per input (chosen evenly). */
  maxElements?: number;
  /** Re-seed the generator before each evaluation (for ops that draw random numbers). */
  seed?: number;
}

/** Returns the worst mismatch; throws with details when analytic and numeric gradients disagree. */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): number {
  const eps = o.eps ?? 1e-6, atol = o.atol ?? 1e-5, rtol = o.rtol ?? 1e-3;
  return tidy(() => {
    for (const x of inputs) {
      if (x.dtype !== 'float64') throw new Error('gradcheck inputs must be float64');
      x.requiresGrad_(true);
    }
    if (o.seed !== undefined) manualSeed(o.seed);
    const out = fn(...inputs);
    const w = noGrad(() => randn(out.shape, { dtype: 'float64' }));
    const f = (): number => {
      if (o.seed !== undefined) manualSeed(o.seed);
      return noGrad(() => tidy(() => fn(...inputs).mul(w).sum().item()));
    };
    out.mul(w).sum().backward();
    let worst = 0;
    inputs.forEach((x, k) => {
      const g = x.grad;
      const analytic = g ? (g.contiguous().toTypedArray() as Float64Array) : new Float64Array(x.numel);
      const data = x.toTypedArray() as Float64Array; // aliases x's memory: perturb in place
      const n = data.length;
      const count = Math.min(n, o.maxElements ?? 64);
      for (let c = 0; c < count; c++) {
        const i = Math.floor((c * n) / count);
        const orig = data[i];
        data[i] = orig + eps;
        const fp = f();
        data[i] = orig - eps;
        const fm = f();
        data[i] = orig;
        const numeric = (fp - fm) / (2 * eps);
        const err = Math.abs(numeric - analytic[i]);
        if (err > atol + rtol * Math.abs(numeric)) {
          throw new Error(`gradient mismatch for input ${k} element ${i}: analytic ${analytic[i]}, numeric ${numeric}`);
        }
        worst = Math.max(worst, err);
      }
    });
    return worst;
  });
}
