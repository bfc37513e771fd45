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
 * Runs fn with autocast on CPU and CUDA: convolutions and matmuls in bfloat16 (or float16),
 * reductions and losses in float32, as torch.autocast does. Synchronous, like the grad-mode scopes.
 */
export function autocast<T>(fn: () => T, dtype: 'bfloat16' | 'float16' = 'bfloat16'): T {
  const prev = native.setAutocast(true, dtype);
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError('autocast() needs a synchronous function');
    return r;
  } finally {
    native.setAutocast(prev, dtype);
  }
}

/** Runs fn with autocast off (inside an autocast region): for sums and products that bfloat16 would round away. */
export function withoutAutocast<T>(fn: () => T): T {
  const prev = native.setAutocast(false, 'bfloat16');
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError('withoutAutocast() needs a synchronous function');
    return r;
  } finally {
    native.setAutocast(prev, 'bfloat16');
  }
}
