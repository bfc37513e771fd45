/**
 * The compute precision `auto` stands for on this machine: bfloat16 autocast where the CPU has native
 * bf16 dot products (AVX512_BF16 or AMX), where it is faster than float32; float32 elsewhere. On
 * AVX-512 without native bf16 oneDNN emulates it, slower than float32; on AVX2 libtorch 1.13 has no
 * bf16 convolution at all, so `bf16` is refused there with a message instead of failing inside a
 * layer (measurements: bench/NOTES.md).
 */
import { readFileSync } from 'node:fs';
import { info } from './runtime.js';

export const PRECISIONS = ['auto', 'fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The CPU flags of /proc/cpuinfo (or of the text given); null where it cannot be read. */
export function cpuFlags(cpuinfo?: string): Set<string> | null {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return null;
    }
  }
  const line = /^flags\s*:(.*)$/m.exec(text);
  return line ? new Set(line[1].trim().split(/\s+/)) : null;
}

/** True when the CPU lists avx512_bf16 or amx_bf16; false where /proc/cpuinfo cannot be read. */
export function cpuHasNativeBf16(cpuinfo?: string): boolean {
  const f = cpuFlags(cpuinfo);
  return f !== null && (f.has('avx512_bf16') || f.has('amx_bf16'));
}

/**
 * 'auto' becomes 'bf16' or 'fp32' for this CPU ('bf16' on a GPU, whose tensor cores run it); 'bf16'
 * on a CPU without bfloat16 convolutions is an error. `bf16Convolutions` defaults to the addon's
 * answer for this machine (oneDNN's own CPU check, which ONEDNN_MAX_CPU_ISA also lowers), or to
 * AVX-512 in the flags of a `cpuinfo` text given.
 */
export function resolvePrecision(p: Precision, cpuinfo?: string, device = 'cpu', bf16Convolutions?: boolean): 'fp32' | 'bf16' {
  if (p === 'fp32') return p;
  if (device !== 'cpu') return 'bf16';
  const flags = cpuFlags(cpuinfo);
  const convs = bf16Convolutions ?? (cpuinfo === undefined ? info().bf16Convolutions : flags === null || flags.has('avx512f'));
  if (p === 'auto') return convs && cpuHasNativeBf16(cpuinfo) ? 'bf16' : 'fp32';
  if (!convs) throw new Error("precision 'bf16' needs a CPU with AVX-512 (oneDNN has no bfloat16 convolutions for this one): use precision 'auto' or 'fp32'");
  return p;
}
