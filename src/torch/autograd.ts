/** Grad-mode scopes (torch.no_grad / torch.enable_grad). */
import { native } from '../native/addon.js';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = native.setGradEnabled(enabled);
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError('noGrad()/enableGrad() need a synchronous function (grad mode is per thread)');
    return r;
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs fn without recording operations for autograd (inference, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/**
 * An autocast region, as torch.autocast's context: sets the state (null: leaves it), runs fn,
 * restores it. The weights' lower-precision casts are cached until the outermost region closes.
 */
function autocastRegion<T>(enabled: boolean | null, dtype: 'bfloat16' | 'float16', fn: () => T, name: string): T {
  native.autocastNesting(true);
  const prev = enabled === null ? null : native.setAutocast(enabled, dtype);
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError(`${name}() needs a synchronous function`);
    return r;
  } finally {
    if (prev !== null) native.setAutocast(prev, dtype);
    native.autocastNesting(false);
  }
}

/**
 * Runs fn with autocast on CPU and CUDA: convolutions and matmuls in bfloat16 (or float16),
 * reductions and losses in float32, as torch.autocast does. Synchronous, like the grad-mode scopes.
 */
export function autocast<T>(fn: () => T, dtype: 'bfloat16' | 'float16' = 'bfloat16'): T {
  return autocastRegion(true, dtype, fn, 'autocast');
}

/** Runs fn with autocast off (inside an autocast region): for sums and products that bfloat16 would round away. */
export function withoutAutocast<T>(fn: () => T): T {
  return autocastRegion(false, 'bfloat16', fn, 'withoutAutocast');
}

/**
 * Runs fn, in which several autocast() calls (the forwards of a step's views) share one cast of
 * each weight instead of casting it, and keeping the copy for backward, once per call.
 */
export function sharedAutocastCasts<T>(fn: () => T): T {
  return autocastRegion(null, 'bfloat16', fn, 'sharedAutocastCasts');
}
