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
  forward(x: Tensor): Tensor {
    const y = this.layers.reduce((h, m) => m.forward(h), x);
    return y === x ? x.reshape(x.shape) : y; // a new handle, so callers may dispose it like any output
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
