/** AdamW (decoupled weight decay) with torch.optim.AdamW's update rule. */
import { Tensor } from '../torch/tensor.js';
import { Parameter } from '../nn/parameter.js';
import { Optimizer, type GroupSpec } from './optimizer.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: GroupSpec<AdamWOptions>, o: Partial<AdamWOptions> & { lr: number }) {
    const h: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...o };
    if (h.lr < 0 || h.eps < 0 || h.weightDecay < 0) throw new RangeError('AdamW: lr, eps and weightDecay must be >= 0');
    if (!(h.beta1 >= 0 && h.beta1 < 1 && h.beta2 >= 0 && h.beta2 < 1)) throw new RangeError('AdamW: betas must be in [0, 1)');
    super(params, h);
    this.reserveState('exp_avg', 'exp_avg_sq');
  }

  protected update(p: Parameter, grad: Tensor, h: AdamWOptions): void {
    const sc = this.scalars.get(p) ?? { step: 0 };
    sc.step += 1;
    this.scalars.set(p, sc);
    if (h.weightDecay) p.mul_(1 - h.lr * h.weightDecay);
    const { t: m } = this.buffer(p, 'exp_avg', 'zeros');
    const { t: v } = this.buffer(p, 'exp_avg_sq', 'zeros');
    m.lerp_(grad, 1 - h.beta1);
    v.mul_(h.beta2).addcmul_(grad, grad, 1 - h.beta2);
    const bc1 = 1 - h.beta1 ** sc.step;
    const bc2 = 1 - h.beta2 ** sc.step;
    const denom = v.sqrt().div_(Math.sqrt(bc2)).add_(h.eps);
    p.addcdiv_(m, denom, -h.lr / bc1);
  }
}
