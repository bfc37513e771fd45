/**
 * Module: the PyTorch-style container of parameters, buffers and sub-modules. State-dict keys are
 * PyTorch's dotted paths ("layer1.0.conv1.weight"), so weights move between the two unchanged.
 */
import { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { type DType, isDType, isFloating } from '../torch/dtype.js';
import { Parameter, Buffer } from './parameter.js';

export type StateDict = Map<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  training = true;
  readonly #params = new Map<string, Parameter | null>();
  readonly #buffers = new Map<string, { t: Buffer | null; persistent: boolean }>();
  readonly #modules = new Map<string, Module<never[], unknown>>();

  /**
   * Written without any dispose(): every call runs inside its own scope (see tidy), which frees
   * the tensors made during it and keeps only what it returns, as PyTorch's __call__ leaves
   * intermediates to the garbage collector. Must be synchronous.
   */
  abstract forward(...args: In): Out;

  constructor() {
    // The subclass's forward is already on the prototype chain here; wrap it once per instance.
    const self = this as unknown as { forward: (...args: unknown[]) => unknown };
    const forward = self.forward;
    self.forward = (...args) => tidy(() => forward.apply(this, args));
  }

  /** Same as forward (PyTorch's __call__). */
  call(...args: In): Out {
    return this.forward(...args);
  }

  protected registerParameter(name: string, p: Parameter | null): Parameter {
    this.#checkName(name);
    this.#params.set(name, p);
    return p as Parameter;
  }
  protected registerBuffer(name: string, t: Tensor | null, persistent = true): Buffer {
    this.#checkName(name);
    const b = t === null ? null : t instanceof Buffer ? t : new Buffer(t);
    if (t !== null && !(t instanceof Buffer)) t.dispose();
    this.#buffers.set(name, { t: b, persistent });
    return b as Buffer;
  }
  protected registerModule<M extends Module<never[], unknown>>(name: string, m: M): M {
    this.#checkName(name);
    this.#modules.set(name, m);
    return m;
  }
  #checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`invalid member name '${name}' (must be non-empty, without '.')`);
    if (this.#params.has(name) || this.#buffers.has(name) || this.#modules.has(name)) {
      throw new Error(`'${name}' is already registered on ${this.constructor.name}`);
    }
  }

  /** Direct sub-modules in registration order. */
  namedChildren(): [string, Module<never[], unknown>][] {
    return [...this.#modules];
  }
  children(): Module<never[], unknown>[] {
    return [...this.#modules.values()];
  }
  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module<never[], unknown>][] {
    const out: [string, Module<never[], unknown>][] = [[prefix, this as unknown as Module<never[], unknown>]];
    for (const [n, m] of this.#modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  modules(): Module<never[], unknown>[] {
    return this.namedModules().map(([, m]) => m);
  }
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const mods: [string, Module<never[], unknown>][] = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as Module<never[], unknown>]];
    for (const [mp, m] of mods) {
      for (const [n, p] of m.#params) {
        if (p && !seen.has(p)) {
          seen.add(p);
          out.push([mp ? `${mp}.${n}` : n, p]);
        }
      }
    }
    return out;
  }
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }
  namedBuffers(prefix = '', opts: { persistentOnly?: boolean } = {}): [string, Buffer][] {
    const out: [string, Buffer][] = [];
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, b] of m.#buffers) {
        if (b.t && (!opts.persistentOnly || b.persistent)) out.push([mp ? `${mp}.${n}` : n, b.t]);
      }
    }
    return out;
  }
  buffers(): Buffer[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Where the first parameter lives ('cpu' for a module without parameters). */
  get device(): string {
    for (const p of this.parameters()) return p.device;
    return 'cpu';
  }

  /** Moves or converts every parameter and buffer in place ("cuda:0", "float64", ...). Integer buffers keep their dtype. */
  to(target: string): this {
    const isDtype = isDType(target);
    for (const m of this.modules()) {
      for (const p of m.#params.values()) if (p) move(p, target, isDtype);
      for (const b of m.#buffers.values()) if (b.t) move(b.t, target, isDtype);
    }
    return this;
  }

  /** Clears every parameter's gradient (set to none, as PyTorch 2 does by default). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Parameters and persistent buffers by dotted key, in PyTorch's order (each module's own
   * parameters, then its buffers, then its children). Tensors share storage with the module.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    for (const [mp, m] of this.namedModules()) {
      const key = (n: string) => (mp ? `${mp}.${n}` : n);
      for (const [n, p] of m.#params) if (p) sd.set(key(n), p.detach());
      for (const [n, b] of m.#buffers) if (b.t && b.persistent) sd.set(key(n), b.t.detach());
    }
    return sd;
  }

  /**
   * Copies values from a state dict into this module's tensors. With strict (default) any missing
   * or unexpected key is an error; a shape mismatch is always an error naming the key.
   */
  loadStateDict(sd: ReadonlyMap<string, Tensor> | Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = new Map<string, Tensor>();
    for (const [mp, m] of this.namedModules()) {
      const key = (n: string) => (mp ? `${mp}.${n}` : n);
      for (const [n, p] of m.#params) if (p) own.set(key(n), p);
      for (const [n, b] of m.#buffers) if (b.t && b.persistent) own.set(key(n), b.t);
    }
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if ((opts.strict ?? true) && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(`loadStateDict: ${missingKeys.length} missing key(s) [${missingKeys.slice(0, 8).join(', ')}], ` +
        `${unexpectedKeys.length} unexpected key(s) [${unexpectedKeys.slice(0, 8).join(', ')}]`);
    }
    for (const [k, dst] of own) {
      const v = src.get(k);
      if (!v) continue;
      const a = dst.shape, b = v.shape;
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
        throw new Error(`loadStateDict: shape mismatch for '${k}': module has [${a.join(', ')}], state dict has [${b.join(', ')}]`);
      }
    }
    noGrad(() => {
      for (const [k, dst] of own) {
        const v = src.get(k);
        if (v) dst.copy_(v);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Total number of parameter elements (optionally only trainable ones). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    return this.parameters().filter((p) => !opts.trainableOnly || p.requiresGrad).reduce((s, p) => s + p.numel, 0);
  }
}

function move(t: Parameter | Buffer, target: string, isDtype: boolean): void {
  if (isDtype && !isFloating(t.dtype)) return;
  if (!isDtype && t.device === target) return;
  const moved = t.to(target as DType);
  t.setData(moved);
  moved.dispose();
}
