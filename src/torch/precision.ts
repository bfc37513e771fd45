/**
 * The compute precision `auto` stands for on this machine: bfloat16 autocast where the CPU has native
 * bf16 dot products (AVX512_BF16 or AMX), where it runs about twice as fast as float32; float32
 * elsewhere, where bf16 is emulated and slower (bench/README.md has both measurements).
 */
import { readFileSync } from 'node:fs';

export const PRECISIONS = ['auto', 'fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** True when /proc/cpuinfo (or the text given) lists avx512_bf16 or amx_bf16; false where it cannot be read. */
export function cpuHasNativeBf16(cpuinfo?: string): boolean {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return false;
    }
  }
  return /^flags\s*:.*\b(avx512_bf16|amx_bf16)\b/m.test(text);
}

/** 'auto' becomes 'bf16' or 'fp32' for this CPU; the others stay as they are. */
export function resolvePrecision(p: Precision, cpuinfo?: string): 'fp32' | 'bf16' {
  if (p !== 'auto') return p;
  return cpuHasNativeBf16(cpuinfo) ? 'bf16' : 'fp32';
}
