#!/usr/bin/env node
// Prints libtorch build settings for binding.gyp: `node scripts/torch-config.mjs include|libdir|libs|defines|json`.
// LIBTORCH=/path selects an official libtorch (or a Python torch install's package dir); default: Debian's libtorch-dev.
// Importable too: build-native.mjs checks `resolveTorch()` before it starts node-gyp.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function resolveTorch() {
  const root = process.env.LIBTORCH;
  if (root) {
    const include = join(root, 'include');
    const libdir = join(root, 'lib');
    if (!existsSync(join(include, 'ATen', 'ATen.h'))) {
      throw new Error(`LIBTORCH=${root}: ${include}/ATen/ATen.h not found; point LIBTORCH at a libtorch directory (with include/ and lib/)`);
    }
    return { include: [include, join(include, 'torch', 'csrc', 'api', 'include')], libdir };
  }
  const include = '/usr/include';
  if (!existsSync(join(include, 'ATen', 'ATen.h'))) {
    throw new Error('libtorch headers not found: run `apt-get install libtorch-dev` or set LIBTORCH to a libtorch directory');
  }
  return { include: [join(include, 'torch', 'csrc', 'api', 'include')], libdir: '/usr/lib/x86_64-linux-gnu' };
}

// Official pip wheels before 2.7 use the pre-C++11 string ABI; detect it from libc10 rather than guessing.
function cxx11Abi(libdir) {
  if (process.env.LIBTORCH_CXX11_ABI) return process.env.LIBTORCH_CXX11_ABI === '0' ? 0 : 1;
  try {
    const syms = execFileSync('nm', ['-DC', join(libdir, 'libc10.so')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return syms.includes('std::__cxx11::basic_string') ? 1 : 0;
  } catch {
    return 1;
  }
}

// c10d's Gloo process group (distributed training): its header includes <gloo/...>, which Debian
// ships in libgloo-dev and official libtorch archives may or may not ship; its symbols must be in
// libtorch_cpu. Without them the addon still builds and the distributed functions explain what is
// missing. CVRL_GLOO=0/1 overrides the probe.
function glooAvailable(t) {
  if (process.env.CVRL_GLOO) return process.env.CVRL_GLOO !== '0';
  const dirs = [...t.include, join(t.include[0], '..', '..', '..', '..'), '/usr/include'];
  const has = (rel) => dirs.some((d) => existsSync(join(d, rel)));
  if (!has(join('torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp')) || !has(join('gloo', 'algorithm.h'))) return false;
  try {
    const syms = execFileSync('nm', ['-D', '--defined-only', join(t.libdir, 'libtorch_cpu.so')], { encoding: 'utf8', maxBuffer: 1 << 30 });
    return syms.includes('ProcessGroupGloo');
  } catch {
    return false;
  }
}

/** Include and library directories, libraries, defines and version of the selected libtorch. */
export function torchConfig() {
  const t = resolveTorch();
  const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
  const cuda = existsSync(join(t.libdir, 'libtorch_cuda.so'));
  if (cuda) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  const version = (() => {
    for (const dir of t.include) {
      const f = join(dir, 'torch', 'version.h');
      if (existsSync(f)) return /TORCH_VERSION\s+"?\\?\s*"([^"]+)"/.exec(readFileSync(f, 'utf8'))?.[1] ?? 'unknown';
    }
    return 'unknown';
  })();
  const gloo = glooAvailable(t);
  const out = {
    include: t.include,
    libdir: t.libdir,
    libs,
    defines: [`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(t.libdir)}`, `CVRL_WITH_CUDA=${cuda ? 1 : 0}`, `CVRL_WITH_GLOO=${gloo ? 1 : 0}`,
      ...(gloo ? ['USE_C10D_GLOO'] : [])],
    version,
  };
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = torchConfig();
  const what = process.argv[2] ?? 'json';
  if (what === 'json') console.log(JSON.stringify(out, null, 2));
  else if (what === 'include') console.log(out.include.join(' '));
  else if (what === 'libdir') console.log(out.libdir);
  else if (what === 'libs') console.log(out.libs.join(' '));
  else if (what === 'defines') console.log(out.defines.join(' '));
  else throw new Error(`unknown query ${what}`);
}
