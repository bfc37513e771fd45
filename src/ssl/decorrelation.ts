/**
 * A guard against dimensional collapse (VICReg's variance and covariance terms, Bardes et al. 2022),
 * applied to the encoder's pooled features: small contrastive runs on CPU-sized data tend to squeeze
 * the representation into a few directions that separate scenes, which a linear probe cannot use on
 * new scenes. For features f [N, D], with c the covariance matrix over the batch:
 *   variance = mean_d relu(1 - sqrt(var(f_d) + eps)),   covariance = sum_{i != j} c_ij^2 / D.
 */
import { Tensor } from '../torch/tensor.js';
import { eye } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';

export function decorrelationLoss(f: Tensor, eps = 1e-4): Tensor {
  if (f.ndim !== 2 || f.size(0) < 2) throw new RangeError(`expected features [N >= 2, D], got [${f.shape.join(', ')}]`);
  const [n, d] = f.shape;
  return tidy(() => {
    const variance = f.var(0).add(eps).sqrt().rsub(1).relu().mean();
    const c = f.sub(f.mean(0, true));
    const cov = c.t().matmul(c).div(n - 1);
    const off = cov.mul(eye(d, { dtype: cov.dtype, device: cov.device }).rsub(1));
    return variance.add(off.square().sum().div(d));
  });
}
