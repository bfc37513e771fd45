/**
 * What the benchmark ran on, and this CPU's peak multiply-add rate for a share-of-peak figure:
 * cores x clock x FLOP per cycle per core, assuming two FMA units (AVX-512: 2 x 16 fp32 x 2 = 64;
 * AVX2: 32), twice that for bf16 where AVX512_BF16 dot products run (AMX is not counted).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { info } from '../src/torch/runtime.js';
import { cpuFlags, cpuHasNativeBf16 } from '../src/torch/precision.js';

export interface Machine {
  cpu: string;
  cores: number;
  mhz: number;
  isa: string[];
  threads: number;
  native_bf16: boolean;
  peak_gflops: { fp32: number; bf16: number };
  cvrl_torch: string;
  reference_torch: string;
  jemalloc: boolean;
  /** OPENBLAS_THREAD_TIMEOUT both sides ran with (src/native/addon.ts sets it). */
  openblas_thread_timeout: string;
}

export function machine(threads: number): Machine {
  const text = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = cpuFlags(text) ?? new Set<string>();
  const isa = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_bf16'].filter((f) => flags.has(f));
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(text)?.[1] ?? cpus()[0]?.speed ?? 0);
  const perCycle = flags.has('avx512f') ? 64 : flags.has('avx2') && flags.has('fma') ? 32 : 16;
  const fp32 = (threads * mhz * perCycle) / 1000;
  const py = spawnSync(process.env.CVRL_BENCH_PYTHON ?? '/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(text)?.[1] ?? 'unknown', cores: cpus().length, mhz, isa, threads,
    native_bf16: cpuHasNativeBf16(text),
    peak_gflops: { fp32: Math.round(fp32), bf16: Math.round(flags.has('avx512_bf16') ? 2 * fp32 : fp32) },
    cvrl_torch: info().libtorchVersion, reference_torch: py.stdout.trim() || `unavailable: ${py.stderr.trim().split('\n').pop()}`,
    jemalloc: (process.env.LD_PRELOAD ?? '').includes('jemalloc'),
    openblas_thread_timeout: process.env.OPENBLAS_THREAD_TIMEOUT ?? 'library default',
  };
}
