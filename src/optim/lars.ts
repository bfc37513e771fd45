/**
 * LARS (You et al. 2017) as SimCLR and CVRL use it: layer-wise trust ratio eta*||w||/||g|| scales
 * the learning rate; parameters the filter excludes (by default biases and normalisation
 * parameters, i.e. tensors with at most one dimension) get neither adaptation nor weight decay.
 */
import { Tensor } from '../torch/tensor.js';
import { Parameter } from '../nn/parameter.js';
import { native } from '../native/addon.js';
import { Optimizer, type GroupSpec, type ParamGroup } from './optimizer.js';

export interface LarsOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  /** eta in the trust ratio. */
  trustCoefficient: number;
  nesterov: boolean;
  eps: number;
}

export class LARS extends Optimizer<LarsOptions> {
  readonly #exclude: (p: Parameter) => boolean;

  constructor(params: GroupSpec<LarsOptions>, o: Partial<LarsOptions> & { lr: number }, exclude: (p: Parameter) => boolean = (p) => p.ndim <= 1) {
    const h: LarsOptions = { momentum: 0.9, weightDecay: 0, trustCoefficient: 0.001, nesterov: false, eps: 0, ...o };
    if (h.lr < 0 || h.momentum < 0 || h.weightDecay < 0 || h.trustCoefficient <= 0) throw new RangeError('LARS: lr, momentum, weightDecay must be >= 0 and trustCoefficient > 0');
    super(params, h);
    this.#exclude = exclude;
    this.reserveState('momentum_buffer');
  }

  protected override groupStep(g: ParamGroup<LarsOptions>): boolean {
    const h = g.options, live = this.withBuffers(g, 'momentum_buffer');
    if (!live) return false;
    native.larsStep(live.params.map((p) => p.handle), live.grads.map((t) => t.handle), live.buffers.map((t) => t.handle), live.params.map((p) => (this.#exclude(p) ? 0 : 1)),
      h.lr, h.momentum, h.weightDecay, h.trustCoefficient, h.eps, h.nesterov);
    return true;
  }

  protected update(p: Parameter, grad: Tensor, h: LarsOptions): void {
    const adapt = !this.#exclude(p);
    let g = grad;
    let lr = h.lr;
    if (adapt) {
      if (h.weightDecay) g = grad.add(p, h.weightDecay);
      const wn = p.norm().item();
      const gn = g.norm().item();
      const trust = wn > 0 && gn > 0 ? (h.trustCoefficient * wn) / (gn + h.eps) : 1;
      lr = h.lr * trust;
    }
    const { t: v } = this.buffer(p, 'momentum_buffer', 'zeros');
    v.mul_(h.momentum).add_(g, lr);
    if (h.nesterov) p.sub_(v, h.momentum).sub_(g, lr);
    else p.sub_(v);
  }
}
