/** Sequential: runs its children in order; children are named "0", "1", ... as in PyTorch. */
import { Tensor } from '../torch/tensor.js';
import { Module } from './module.js';

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m as unknown as Module<never[], unknown>));
  }
  /** Intermediate outputs are disposed as soon as the next layer has consumed them. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) {
      const next = m.forward(y);
      if (y !== x) y.dispose();
      y = next;
    }
    return y === x ? x.reshape(x.shape) : y;
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
