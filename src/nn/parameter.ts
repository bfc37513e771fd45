/** Parameters and persistent buffers: tensors owned by a Module, never freed by tidy(). */
import { native } from '../native/addon.js';
import { Tensor } from '../torch/tensor.js';
import type { DType } from '../torch/dtype.js';

/** A leaf tensor that a Module trains. Construct from any tensor; the data is detached, not copied. */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(native.detach(data.handle), false);
    native.setRequiresGrad(this.handle, requiresGrad);
  }

  /** Replaces the data (e.g. after a device or dtype move) keeping this object and its requires-grad flag. */
  setData(data: Tensor): void {
    const requiresGrad = this.requiresGrad;
    const h = native.detach(data.handle);
    native.setRequiresGrad(h, requiresGrad);
    this.replaceHandle(h);
  }
}

/** A module-owned tensor that is not trained (running statistics, counters). */
export class Buffer extends Tensor {
  constructor(data: Tensor) {
    super(native.detach(data.handle), false);
  }
  setData(data: Tensor): void {
    this.replaceHandle(native.detach(data.handle));
  }
}

/** A new uninitialised parameter of the given shape (fill it with an initialiser). */
export function emptyParameter(shape: readonly number[], o: { dtype?: DType; device?: string } = {}): Parameter {
  const t = new Tensor(native.empty(shape, o.dtype, o.device));
  const p = new Parameter(t);
  t.dispose();
  return p;
}
