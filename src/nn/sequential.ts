/** Sequential: runs its children in order; children are named "0", "1", ... as in PyTorch. */
import { Tensor } from '../torch/tensor.js';
import { tidy } from '../torch/scope.js';
import { Module } from './module.js';
import { BatchNormNd } from './batchnorm.js';
import { ReLU } from './linear.js';

/**
 * Feeds x through each module in turn, freeing each intermediate result once the next module has
 * used it (x too when `takesX`: the caller hands it over): autograd keeps what backward needs, and
 * the rest (a block's first half, a BatchNorm's input at inference) would otherwise live until the
 * enclosing tidy() ends. A nested Sequential is handed its input the same way, so a stage's input is
 * freed after its first block, not after its last. A BatchNorm followed by a ReLU runs as one fused
 * op: same values, one pass over the activations fewer.
 */
export function applyInTurn(x: Tensor, modules: readonly Module[], takesX = false): Tensor {
  let h = x;
  for (let i = 0; i < modules.length; i++) {
    const m = modules[i], owned = h !== x || takesX;
    const fuse = m instanceof BatchNormNd && !overridden(m, BatchNormNd) && modules[i + 1] instanceof ReLU && !overridden(modules[i + 1], ReLU);
    const handOver = owned && m instanceof Sequential && !overridden(m, Sequential);
    const next = fuse ? m.forwardRelu(h) : handOver ? m.forwardTaking(h) : (m as Module<[Tensor], Tensor>).forward(h);
    if (fuse) i++;
    if (owned && !handOver && next !== h) h.dispose();
    h = next;
  }
  return h;
}

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m as unknown as Module<never[], unknown>));
  }
  forward(x: Tensor): Tensor {
    const y = applyInTurn(x, this.layers);
    return y === x ? x.reshape(x.shape) : y; // a new handle, so callers may dispose it like any output
  }
  /** forward(x) for a caller that hands x over: x is freed once the first layer has used it (the caller must not use it again). */
  forwardTaking(x: Tensor): Tensor {
    return tidy(() => applyInTurn(x, this.layers, true));
  }
  get length(): number {
    return this.layers.length;
  }
  at(i: number): Module {
    const m = this.layers[i < 0 ? i + this.layers.length : i];
    if (!m) throw new RangeError(`Sequential index ${i} out of range (length ${this.layers.length})`);
    return m;
  }
}

/** A subclass with its own forward keeps it: fusing would skip that code. (Instances hold a wrapper, see Module.) */
function overridden(m: Module, base: { prototype: { forward: unknown } }): boolean {
  return (Object.getPrototypeOf(m) as { forward: unknown }).forward !== base.prototype.forward;
}
