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
