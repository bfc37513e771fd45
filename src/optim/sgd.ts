/** SGD with momentum, dampening, Nesterov and L2 weight decay, with torch.optim.SGD's update rule. */
import { Tensor } from '../torch/tensor.js';
import { Parameter } from '../nn/parameter.js';
import { native } from '../native/addon.js';
import { Optimizer, type GroupSpec, type ParamGroup } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SgdOptions> {
  constructor(params: GroupSpec<SgdOptions>, o: Partial<SgdOptions> & { lr: number }) {
    const h: SgdOptions = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...o };
    if (h.lr < 0 || h.momentum < 0 || h.weightDecay < 0) throw new RangeError('SGD: lr, momentum and weightDecay must be >= 0');
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    super(params, h);
    if (h.momentum) this.reserveState('momentum_buffer');
  }

  protected override groupStep(g: ParamGroup<SgdOptions>): boolean {
    const h = g.options, live = this.withBuffers(g, h.momentum ? 'momentum_buffer' : null);
    if (!live) return false;
    native.sgdStep(live.params.map((p) => p.handle), live.grads.map((t) => t.handle), live.buffers.map((t) => t.handle), h.lr, h.momentum, h.dampening, h.weightDecay, h.nesterov);
    return true;
  }

  protected update(p: Parameter, grad: Tensor, h: SgdOptions): void {
    let d = h.weightDecay ? grad.add(p, h.weightDecay) : grad;
    if (h.momentum) {
      const { t: buf, fresh } = this.buffer(p, 'momentum_buffer', d);
      if (!fresh) buf.mul_(h.momentum).add_(d, 1 - h.dampening);
      d = h.nesterov ? d.add(buf, h.momentum) : buf;
    }
    p.sub_(d, h.lr);
  }
}
