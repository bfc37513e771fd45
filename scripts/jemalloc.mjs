// jemalloc keeps resident memory flat where glibc malloc fragments with large tensors (see docs).
// Its default page decay returns freed pages to the kernel while a step still runs, so every op
// faults fresh pages in: measured 10-40x slower augmentation ops. Keeping dirty pages costs nothing
// in a training process whose footprint is periodic, and resident memory stays at the peak.
import { existsSync } from 'node:fs';

export const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

/** The environment with jemalloc preloaded, or null when it is already loaded, absent or opted out. */
export function jemallocEnv(env = process.env) {
  const preload = env.LD_PRELOAD ?? '';
  if (env.CVRL_NO_JEMALLOC || preload.includes('jemalloc') || !existsSync(JEMALLOC)) return null;
  return { MALLOC_CONF: 'dirty_decay_ms:-1,muzzy_decay_ms:-1', ...env, LD_PRELOAD: [JEMALLOC, preload].filter(Boolean).join(':') };
}
