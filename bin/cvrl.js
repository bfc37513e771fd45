#!/usr/bin/env node
// Entry point. Re-executes itself once under jemalloc when available: glibc malloc fragments badly
// with large tensors (resident memory grows by gigabytes over long runs). CVRL_NO_JEMALLOC=1 opts out.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jemallocEnv } from '../scripts/jemalloc.mjs';

const env = jemallocEnv();
if (env) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env });
  // Forward termination signals so that the real process can checkpoint before it exits.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  await start();
}

async function start() {

  const main = new URL('../dist/src/cli/main.js', import.meta.url);
  if (!existsSync(fileURLToPath(main))) {
    console.error('cvrl is not built: run `bash scripts/setup.sh` (or `npm run build`) first');
    process.exit(1);
  }
  const { run } = await import(main.href);
  await run(process.argv);
}
