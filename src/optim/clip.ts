/** Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_). */
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { stack } from '../torch/creation.js';
import { Parameter } from '../nn/parameter.js';

/** Scales all gradients so that their joint p-norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number, normType = 2): number {
  return noGrad(() => tidy(() => {
    const grads = [...params].map((p) => p.grad).filter((g) => g !== null);
    if (grads.length === 0) return 0;
    const total = normType === Infinity
      ? Math.max(...grads.map((g) => g.abs().amax().item()))
      : stack(grads.map((g) => g.norm(normType))).norm(normType).item();
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) for (const g of grads) g.mul_(coef);
    return total;
  }));
}

/** Clamps every gradient element into [-clip, clip]. */
export function clipGradValue(params: Iterable<Parameter>, clip: number): void {
  noGrad(() => tidy(() => {
    for (const p of params) p.grad?.clamp_(-clip, clip);
  }));
}
