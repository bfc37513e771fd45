// The install script on a machine without libtorch, FFmpeg's development files or a compiler: one
// message naming what is missing and the apt-get line, exit status 1, no stack trace. It runs from a
// copy of the scripts in a temporary folder (no binding.gyp there), so nothing can start compiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/python.js';

function installScript(env: NodeJS.ProcessEnv): { status: number | null; stderr: string; stdout: string } {
  const dir = tempDir('cvrl-prereqs-');
  try {
    mkdirSync(join(dir, 'scripts'));
    for (const f of ['build-native.mjs', 'native-prereqs.mjs', 'torch-config.mjs']) copyFileSync(join('scripts', f), join(dir, 'scripts', f));
    const emptyPkgConfig = join(dir, 'no-pkgconfig');
    mkdirSync(emptyPkgConfig);
    return spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs')], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, PKG_CONFIG_LIBDIR: emptyPkgConfig, PKG_CONFIG_PATH: '', CVRL_PREBUILT_ADDON: '', ...env },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const noStack = (stderr: string) => assert.doesNotMatch(stderr, /^\s+at /m, 'a stack trace was printed');

test('install script without FFmpeg development files or libtorch: names them and the apt packages, exits 1', () => {
  const r = installScript({ LIBTORCH: '/nonexistent/libtorch' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^cvrl: cannot build its native addon \(libtorch \+ FFmpeg\), missing:$/m);
  assert.match(r.stderr, /LIBTORCH=\/nonexistent\/libtorch: .*ATen\.h not found/);
  assert.match(r.stderr, /FFmpeg's libswscale development files/);
  assert.match(r.stderr, /^On Debian or Ubuntu: sudo apt-get install libavformat-dev libavcodec-dev libswscale-dev libavutil-dev$/m);
  assert.match(r.stderr, /npm rebuild cvrl/);
  assert.doesNotMatch(r.stderr, /gyp/, 'node-gyp must not have started');
  noStack(r.stderr);
});

test('install script without a compiler or pkg-config on PATH: the tool packages join the apt line', () => {
  const r = installScript({ PATH: '/nonexistent' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the program g\+\+/);
  assert.match(r.stderr, /^On Debian or Ubuntu: sudo apt-get install g\+\+ make python3 pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev$/m);
  noStack(r.stderr);
});

test('CVRL_PREBUILT_ADDON that does not exist is an error naming it', () => {
  const r = installScript({ CVRL_PREBUILT_ADDON: '/nonexistent/cvrl_native.node' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /CVRL_PREBUILT_ADDON=\/nonexistent\/cvrl_native\.node: no such file/);
});
