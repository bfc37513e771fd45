#!/usr/bin/env node
// Prints libtorch build settings for binding.gyp: `node scripts/torch-config.mjs include|libdir|libs|defines|std|cflags|json`.
// LIBTORCH=/path selects an official libtorch (or a Python torch install's package dir); default: Debian's libtorch-dev.
// Importable too: build-native.mjs checks `resolveTorch()` before it starts node-gyp.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
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
  const dirs = [...t.include, join(t.include[0], '..', '..', '..', '..'), '/usr/local/include', '/usr/include'];
  const has = (rel) => dirs.some((d) => existsSync(join(d, rel)));
  return backendAvailable(process.env.CVRL_GLOO, () => has(join('torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp')) && has(join('gloo', 'algorithm.h')),
    join(t.libdir, 'libtorch_cpu.so'), 'ProcessGroupGloo');
}

// A c10d backend builds when its headers are found and `lib` exports `group`'s symbols; an
// override ('0' or '1', from the environment) skips the probe.
function backendAvailable(override, headersFound, lib, group) {
  if (override) return override !== '0';
  if (!headersFound()) return false;
  try {
    return execFileSync('nm', ['-D', '--defined-only', lib], { encoding: 'utf8', maxBuffer: 1 << 30 }).includes(group);
  } catch {
    return false;
  }
}

// A CUDA libtorch's headers include the CUDA toolkit's (cuda_runtime_api.h, cublas_v2.h, ...) and
// ProcessGroupNCCL's include nccl.h: from CUDA_HOME or /usr/local/cuda, and, for a pip install of
// torch, from the nvidia-* packages beside it (site-packages/nvidia/<name>/include).
function cudaIncludes(t) {
  const dirs = [];
  for (const home of [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda']) {
    if (home && existsSync(join(home, 'include', 'cuda_runtime_api.h'))) dirs.push(join(home, 'include'));
  }
  const nvidia = join(t.libdir, '..', '..', 'nvidia');
  const walk = (dir, depth) => {
    if (depth > 2 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      if (e.name === 'include') dirs.push(sub);
      else walk(sub, depth + 1);
    }
  };
  walk(nvidia, 0);
  return [...new Set(dirs)];
}

// NCCL needs CUDA, the ProcessGroupNCCL header, nccl.h and the group's symbols in libtorch_cuda.
// CVRL_NCCL=0/1 overrides the probe.
function ncclAvailable(t, cudaDirs) {
  const has = (dirs, rel) => dirs.some((d) => existsSync(join(d, rel)));
  return backendAvailable(process.env.CVRL_NCCL, () => has(t.include, join('torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupNCCL.hpp')) && has(cudaDirs, 'nccl.h'),
    join(t.libdir, 'libtorch_cuda.so'), 'ProcessGroupNCCL');
}

// libtorch's headers decide the C++ standard (C++17 up to now; newer releases may ask for C++20):
// the first of the two that g++ accepts them with. CVRL_CXX_STD overrides.
function cxxStd(t) {
  if (process.env.CVRL_CXX_STD) return process.env.CVRL_CXX_STD;
  for (const std of ['c++17', 'c++20']) {
    const r = spawnSync('g++', [`-std=${std}`, '-fsyntax-only', '-x', 'c++', '-', ...t.include.map((d) => `-I${d}`)],
      { input: '#include <c10/macros/Macros.h>\n#include <c10/util/Optional.h>\n', encoding: 'utf8' });
    if (r.status === 0) return std;
  }
  return 'c++17';
}

// libtorch_cpu's dynamic section (`readelf -d`), read once for the probes below; '' when unreadable.
function torchCpuDynamic(t) {
  try {
    return execFileSync('readelf', ['-d', join(t.libdir, 'libtorch_cpu.so')], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

// oneDNN's own API (native/onednn.h) when libtorch links the system's libdnnl (Debian's does; pip
// wheels carry a private copy without headers) and its headers are installed (libdnnl-dev).
// CVRL_ONEDNN_BUILD=0/1 overrides the probe.
function oneDnnAvailable(dynamic) {
  if (process.env.CVRL_ONEDNN_BUILD) return process.env.CVRL_ONEDNN_BUILD !== '0';
  if (!['/usr/include', '/usr/local/include'].some((d) => existsSync(join(d, 'oneapi', 'dnnl', 'dnnl.hpp')))) return false;
  return /NEEDED.*libdnnl\.so/.test(dynamic);
}

// The GNU OpenMP runtime libtorch_cpu links (Debian's libgomp.so.1, or a wheel's private libgomp-<hash>.so.1), or
// null. The addon compiles with -fopenmp and links that same library: ATen's at::parallel_for is a header
// template whose `#pragma omp parallel` is otherwise compiled out, so the addon's own kernels ran on one thread.
function openMpRuntime(dynamic) {
  return /NEEDED.*\[(libgomp[\w.-]*\.so[\d.]*)\]/.exec(dynamic)?.[1] ?? null;
}

/** Include and library directories, libraries, defines and version of the selected libtorch. */
export function torchConfig() {
  const t = resolveTorch();
  const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
  const cuda = existsSync(join(t.libdir, 'libtorch_cuda.so'));
  if (cuda) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  const cudaDirs = cuda ? cudaIncludes(t) : [];
  const nccl = cuda && ncclAvailable(t, cudaDirs);
  const version = (() => {
    for (const dir of t.include) {
      const f = join(dir, 'torch', 'version.h');
      if (existsSync(f)) return /TORCH_VERSION\s+"?\\?\s*"([^"]+)"/.exec(readFileSync(f, 'utf8'))?.[1] ?? 'unknown';
    }
    return 'unknown';
  })();
  const gloo = glooAvailable(t);
  const dynamic = torchCpuDynamic(t);
  const onednn = oneDnnAvailable(dynamic);
  if (onednn) libs.push('-ldnnl');
  const gomp = openMpRuntime(dynamic);
  if (gomp) libs.push(`-l:${gomp}`);
  const out = {
    include: [...t.include, ...cudaDirs],
    libdir: t.libdir,
    libs,
    defines: [`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(t.libdir)}`, `CVRL_WITH_CUDA=${cuda ? 1 : 0}`, `CVRL_WITH_GLOO=${gloo ? 1 : 0}`,
      ...(gloo ? ['USE_C10D_GLOO'] : []), `CVRL_WITH_NCCL=${nccl ? 1 : 0}`, ...(nccl ? ['USE_C10D_NCCL'] : []), `CVRL_WITH_ONEDNN=${onednn ? 1 : 0}`],
    std: cxxStd(t),
    cflags: gomp ? ['-fopenmp'] : [],
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
  else if (what === 'std') console.log(`-std=${out.std}`);
  else if (what === 'cflags') console.log(out.cflags.join(' '));
  else throw new Error(`unknown query ${what}`);
}
