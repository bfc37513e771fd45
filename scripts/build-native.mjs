#!/usr/bin/env node
// Builds the native addon with node-gyp against the system's Node headers (nothing is downloaded);
// the package's install script, so `npm install cvrl` compiles it from source. Checks the system
// first (scripts/native-prereqs.mjs) and stops with one message naming the missing Debian packages.
// Re-configures only when binding.gyp or the libtorch selection (LIBTORCH) changed; compiles incrementally.
// CVRL_PREBUILT_ADDON=/path/cvrl_native.node copies an addon already built on this machine instead
// (the package test uses it to install without a compile of several minutes); JOBS=N limits parallel compiles.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPrerequisites, prerequisitesMessage, nodeHeadersDir } from './native-prereqs.mjs';
import { torchConfig } from './torch-config.mjs';

process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'));
const ADDON = join('build', 'Release', 'cvrl_native.node');

const prebuilt = process.env.CVRL_PREBUILT_ADDON;
if (prebuilt) {
  if (!existsSync(prebuilt)) {
    console.error(`cvrl: CVRL_PREBUILT_ADDON=${prebuilt}: no such file`);
    process.exit(1);
  }
  mkdirSync(dirname(ADDON), { recursive: true });
  copyFileSync(prebuilt, ADDON);
  console.log(`cvrl: using the prebuilt addon ${prebuilt} (CVRL_PREBUILT_ADDON), not compiling`);
  process.exit(0);
}

const missing = missingPrerequisites();
if (missing.length) {
  console.error(prerequisitesMessage(missing));
  process.exit(1);
}

const require = createRequire(import.meta.url);
// node-gyp from our dependencies, else the one npm bundles.
const gyp = (() => {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
    console.error('cvrl: node-gyp not found: run `npm ci` (in a checkout) or reinstall cvrl');
    process.exit(1);
  }
})();
const nodedir = nodeHeadersDir();
const common = nodedir ? [`--nodedir=${nodedir}`] : [];

function run(args) {
  const r = spawnSync(process.execPath, [gyp, ...args, ...common], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`cvrl: node-gyp ${args[0]} failed (status ${r.status}); the compiler's messages are above`);
    process.exit(r.status ?? 1);
  }
}

// What the configured build depends on besides binding.gyp: the libtorch and the FFmpeg chosen.
const torch = `${JSON.stringify({ ...torchConfig(), ffmpeg: process.env.CVRL_FFMPEG_PREFIX ?? 'pkg-config' }, null, 2)}\n`;
const stamp = 'build/torch-config.json';
const stale = !existsSync('build/Makefile')
  || statSync('binding.gyp').mtimeMs > statSync('build/Makefile').mtimeMs
  || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== torch;
if (stale) {
  run(['clean']);
  run(['configure']);
  writeFileSync(stamp, torch);
}
run(['build', '-j', process.env.JOBS ?? String(Math.max(1, cpus().length))]);
if (!existsSync(ADDON)) {
  console.error(`cvrl: node-gyp finished but ${ADDON} is missing`);
  process.exit(1);
}
