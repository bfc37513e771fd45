/** How the loader tells an unreadable video (reported, counted, skipped) from a bug (which propagates). */
import { videoLimits } from './io.js';

/** A probe or decode failure: the file is unreadable. */
export class BadVideo extends Error {}

/** Time the native deadline gets to fire before the watchdog below gives up on the call. */
const GRACE_MS = 10_000;

/**
 * Awaits a native probe or decode, turning its failure into BadVideo. The native call has its own
 * deadline (FFmpeg's interrupt callback, `timeoutMs`); this watchdog covers a read stuck in the
 * kernel (a hung network file system), which no callback can interrupt: the loader moves on, and a
 * result that arrives later is handed to `release`.
 */
export async function readable<T>(p: Promise<T>, timeoutMs: number | undefined, release?: (late: T) => void): Promise<T> {
  const ms = (timeoutMs ?? videoLimits().timeoutMs) + GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new BadVideo(`no answer after ${ms} ms (a read stuck in the operating system?); skipped`));
    }, ms);
  });
  try {
    return await Promise.race([p.catch((e: Error) => { throw new BadVideo(e.message); }), watchdog]);
  } finally {
    clearTimeout(timer);
    if (expired) p.then((v) => release?.(v), () => undefined);
  }
}
