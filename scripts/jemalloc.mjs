// jemalloc keeps resident memory flat where glibc malloc fragments with large tensors (see docs).
import { existsSync } from 'node:fs';

export const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

/** The environment with jemalloc preloaded, or null when it is already loaded, absent or opted out. */
export function jemallocEnv(env = process.env) {
  const preload = env.LD_PRELOAD ?? '';
  if (env.CVRL_NO_JEMALLOC || preload.includes('jemalloc') || !existsSync(JEMALLOC)) return null;
  return { ...env, LD_PRELOAD: [JEMALLOC, preload].filter(Boolean).join(':') };
}
