// What building the addon needs from the system, checked before node-gyp starts, so that a machine
// without them gets one message naming the Debian packages instead of a compiler or gyp stack trace.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolveTorch } from './torch-config.mjs';

// pkg-config module -> Debian package, for the FFmpeg libraries binding.gyp links.
const FFMPEG = { libavformat: 'libavformat-dev', libavcodec: 'libavcodec-dev', libswscale: 'libswscale-dev', libavutil: 'libavutil-dev' };
// Programs node-gyp and binding.gyp run -> Debian package.
const TOOLS = { 'g++': 'g++', make: 'make', python3: 'python3', 'pkg-config': 'pkg-config' };

const runs = (cmd, args) => !spawnSync(cmd, args, { stdio: 'ignore' }).error;

/** Each missing prerequisite as { what, apt } (apt: the Debian package, or null when there is none). */
export function missingPrerequisites(env = process.env) {
  const missing = [];
  const staticFfmpeg = Boolean(env.CVRL_FFMPEG_PREFIX); // scripts/ffmpeg-config.mjs checks that one
  for (const [tool, apt] of Object.entries(TOOLS)) {
    if (staticFfmpeg && tool === 'pkg-config') continue;
    if (!runs(tool, ['--version'])) missing.push({ what: `the program ${tool}`, apt });
  }
  try {
    resolveTorch();
  } catch (e) {
    missing.push({ what: env.LIBTORCH ? e.message : 'libtorch headers (/usr/include/ATen/ATen.h)', apt: env.LIBTORCH ? null : 'libtorch-dev' });
  }
  if (staticFfmpeg) {
    // nothing to look up
  } else if (runs('pkg-config', ['--version'])) {
    for (const [mod, apt] of Object.entries(FFMPEG)) {
      if (spawnSync('pkg-config', ['--exists', mod], { env }).status !== 0) missing.push({ what: `FFmpeg's ${mod} development files (pkg-config ${mod})`, apt });
    }
  } else {
    // Without pkg-config the FFmpeg libraries cannot be found either: name them all.
    for (const [mod, apt] of Object.entries(FFMPEG)) missing.push({ what: `FFmpeg's ${mod} development files`, apt });
  }
  try {
    createRequire(import.meta.url).resolve('node-addon-api');
  } catch {
    missing.push({ what: 'the npm package node-addon-api (a dependency of cvrl: reinstall cvrl)', apt: null });
  }
  return missing;
}

/** One message for all of them: what is missing, and the apt-get line that installs it. */
export function prerequisitesMessage(missing) {
  const apt = [...new Set(missing.map((m) => m.apt).filter(Boolean))];
  return [
    'cvrl: cannot build its native addon (libtorch + FFmpeg), missing:',
    ...missing.map((m) => `  - ${m.what}`),
    ...(apt.length ? [`On Debian or Ubuntu: sudo apt-get install ${apt.join(' ')}`] : []),
    'Then run `npm rebuild cvrl` (in a checkout of cvrl: `npm run build:native`). LIBTORCH=/path/to/libtorch selects another libtorch.',
  ].join('\n');
}

/** Node's own headers, so that node-gyp need not download them: Debian's and nodesource's nodejs ship them. */
export function nodeHeadersDir(env = process.env, execPath = process.execPath) {
  if (env.npm_config_nodedir) return env.npm_config_nodedir;
  for (const dir of [dirname(dirname(execPath)), '/usr']) {
    if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return undefined;
}
