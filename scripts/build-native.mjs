#!/usr/bin/env node
// Builds the native addon with node-gyp against the system's Node headers (nothing is downloaded).
// Re-configures only when binding.gyp or the libtorch selection (LIBTORCH) changed; compiles incrementally.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
// node-gyp from our dependencies, else the one npm bundles.
const gyp = (() => {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
    throw new Error('node-gyp not found: run `npm ci` first');
  }
})();
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
const common = nodedir ? [`--nodedir=${nodedir}`] : [];

function run(args) {
  const r = spawnSync(process.execPath, [gyp, ...args, ...common], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const torch = execFileSync(process.execPath, ['scripts/torch-config.mjs', 'json'], { encoding: 'utf8' });
const stamp = 'build/torch-config.json';
const stale = !existsSync('build/Makefile')
  || statSync('binding.gyp').mtimeMs > statSync('build/Makefile').mtimeMs
  || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== torch;
if (stale) {
  run(['clean']);
  run(['configure']);
  writeFileSync(stamp, torch);
}
run(['build', '-j', String(Math.max(1, cpus().length))]);
