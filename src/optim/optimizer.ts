/**
 * Optimizer base: parameter groups with their own hyper-parameters, per-parameter state tensors,
 * and a state dict (tensors plus JSON) that a checkpoint can save and restore.
 */
import { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { Parameter } from '../nn/parameter.js';
import { zerosLike } from '../torch/creation.js';

export interface ParamGroup<H> {
  params: Parameter[];
  /** Hyper-parameters of this group (lr is what schedules change). */
  options: H & { lr: number };
}

export type GroupSpec<H> = Parameter[] | { params: Parameter[]; options?: Partial<H & { lr: number }> }[];

export interface OptimizerState {
  /** State tensors keyed "<paramIndex>.<name>", parameters numbered across groups in order. */
  tensors: Map<string, Tensor>;
  /** JSON-serialisable scalars: step counts and each group's hyper-parameters. */
  meta: { steps: number; groups: Record<string, number | boolean>[]; perParam: Record<string, Record<string, number>> };
}

/** The tensors of `p` in a per-parameter map, the entry made if missing. */
function tensorsOf(m: Map<Parameter, Map<string, Tensor>>, p: Parameter): Map<string, Tensor> {
  let t = m.get(p);
  if (!t) m.set(p, (t = new Map()));
  return t;
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly groups: ParamGroup<H>[];
  protected readonly state = new Map<Parameter, Map<string, Tensor>>();
  protected readonly scalars = new Map<Parameter, Record<string, number>>();
  /** Storage for state tensors that no step has filled yet (see reserveState). */
  readonly #reserved = new Map<Parameter, Map<string, Tensor>>();
  steps = 0;

  constructor(spec: GroupSpec<H>, defaults: H) {
    const groups = Array.isArray(spec) && spec.length > 0 && !(spec[0] instanceof Parameter)
      ? (spec as { params: Parameter[]; options?: Partial<H & { lr: number }> }[])
      : [{ params: spec as Parameter[] }];
    this.groups = groups.map((g) => ({ params: g.params, options: { ...defaults, ...(g.options ?? {}) } as H & { lr: number } }));
    const seen = new Set<Parameter>();
    for (const g of this.groups) {
      for (const p of g.params) {
        if (seen.has(p)) throw new Error('a parameter appears in more than one optimizer group');
        seen.add(p);
      }
    }
    if (seen.size === 0) throw new Error('optimizer got no parameters');
  }

  /** Applies one update from the current gradients; parameters without a gradient are skipped. */
  step(): void {
    this.steps++;
    noGrad(() => {
      for (const g of this.groups) {
        if (tidy(() => this.groupStep(g))) continue;
        for (const p of g.params) {
          tidy(() => {
            const grad = p.grad;
            if (grad) this.update(p, grad, g.options);
          });
        }
      }
    });
  }

  protected abstract update(p: Parameter, grad: Tensor, h: H & { lr: number }): void;

  /**
   * A group's updates in one native call, the same ops as `update` (inside a tidy scope); false
   * where the optimiser has none or a state buffer is still missing (then `update` runs per parameter).
   */
  protected groupStep(_g: ParamGroup<H>): boolean {
    return false;
  }

  /** The group's parameters that have a gradient, their gradients and their `name` buffers; null if a buffer is missing. */
  protected withBuffers(g: ParamGroup<H>, name: string | null): { params: Parameter[]; grads: Tensor[]; buffers: Tensor[] } | null {
    const params: Parameter[] = [], grads: Tensor[] = [], buffers: Tensor[] = [];
    for (const p of g.params) {
      const grad = p.grad;
      if (!grad) continue;
      const b = name === null ? undefined : this.state.get(p)?.get(name);
      if (name !== null && !b) return null;
      params.push(p);
      grads.push(grad);
      if (b) buffers.push(b);
    }
    return { params, grads, buffers };
  }

  /**
   * Allocates the named state tensors of every trainable parameter now, before the first forward
   * pass, for the first step to fill. Created by that step instead, they take memory its activations
   * had freed, the next step's activations no longer fit there and take new pages: a higher peak of
   * resident memory (bench/NOTES.md). The values are the same either way.
   */
  protected reserveState(...names: string[]): void {
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.requiresGrad) continue;
        const r = tensorsOf(this.#reserved, p);
        for (const n of names) if (!r.has(n)) r.set(n, zerosLike(p).keep());
      }
    }
  }

  /** The reserved `name` tensor of `p` if it has this shape, dtype and device (else it is freed): null if none. */
  #takeReserved(p: Parameter, name: string, like: { shape: number[]; dtype: string; device: string }): Tensor | null {
    const r = this.#reserved.get(p), t = r?.get(name);
    if (!t) return null;
    r!.delete(name);
    if (t.shape.join() === like.shape.join() && t.dtype === like.dtype && t.device === like.device) return t;
    t.dispose();
    return null;
  }

  /** A state tensor of this parameter, on first use a copy of `init` (or zeros), kept outside any tidy scope. */
  protected buffer(p: Parameter, name: string, init: Tensor | 'zeros'): { t: Tensor; fresh: boolean } {
    const s = tensorsOf(this.state, p);
    const existing = s.get(name);
    if (existing) return { t: existing, fresh: false };
    const reserved = this.#takeReserved(p, name, init === 'zeros' ? p : init);
    let t: Tensor;
    if (init === 'zeros') t = reserved ? reserved.zero_() : zerosLike(p).keep();
    else t = reserved ? reserved.copy_(init) : init.clone().keep();
    s.set(name, t);
    return { t, fresh: true };
  }

  /** Clears gradients (sets them to none). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  setLr(lr: number): void {
    for (const g of this.groups) g.options.lr = lr;
  }

  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    const perParam: Record<string, Record<string, number>> = {};
    let i = 0;
    for (const g of this.groups) {
      for (const p of g.params) {
        for (const [n, t] of this.state.get(p) ?? []) tensors.set(`${i}.${n}`, t);
        const sc = this.scalars.get(p);
        if (sc) perParam[String(i)] = { ...sc };
        i++;
      }
    }
    return { tensors, meta: { steps: this.steps, groups: this.groups.map((g) => ({ ...g.options })), perParam } };
  }

  loadStateDict(s: OptimizerState): void {
    if (s.meta.groups.length !== this.groups.length) {
      throw new Error(`optimizer state has ${s.meta.groups.length} parameter groups, this optimizer has ${this.groups.length}`);
    }
    // Saved options are assigned into live ones: only options this group has, of the same type.
    this.groups.forEach((g, k) => {
      for (const [name, v] of Object.entries(s.meta.groups[k])) {
        const mine = (g.options as Record<string, unknown>)[name];
        if (!Object.hasOwn(g.options, name) || (mine !== undefined && typeof mine !== typeof v)) {
          throw new Error(`optimizer state group ${k} option '${name}' (${JSON.stringify(v)}) is not an option of this optimizer's group [${Object.keys(g.options).join(', ')}]`);
        }
      }
    });
    this.steps = s.meta.steps;
    this.groups.forEach((g, k) => Object.assign(g.options, s.meta.groups[k]));
    for (const [p, m] of this.state) {
      const r = tensorsOf(this.#reserved, p);
      for (const [n, x] of m) {
        r.get(n)?.dispose();
        r.set(n, x);
      }
    }
    this.state.clear();
    this.scalars.clear();
    const params = this.groups.flatMap((g) => g.params);
    for (const [key, t] of s.tensors) {
      const dot = key.indexOf('.');
      const p = params[Number(key.slice(0, dot))];
      if (!p) throw new Error(`optimizer state key '${key}' names a parameter this optimizer does not have`);
      if (p.shape.join() !== t.shape.join()) throw new Error(`optimizer state '${key}' has shape [${t.shape}] but the parameter has [${p.shape}]`);
      const m = tensorsOf(this.state, p);
      const name = key.slice(dot + 1), reserved = this.#takeReserved(p, name, { shape: t.shape, dtype: t.dtype, device: p.device });
      m.set(name, reserved ? reserved.copy_(t) : (t.device === p.device ? t.clone() : t.to(p.device)).keep()); // a CPU checkpoint resumed on a GPU
    }
    for (const [k, sc] of Object.entries(s.meta.perParam)) {
      const p = params[Number(k)];
      if (p) this.scalars.set(p, { ...sc });
    }
  }
}
