import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuHasNativeBf16, resolvePrecision } from '../../src/torch/precision.js';
import { resolveConfig } from '../../src/train/config.js';

const cpu = (flags: string) => `processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 ${flags}\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx2 ${flags}\n`;

test('precision auto: bf16 only where the CPU lists avx512_bf16 or amx_bf16; fp32 stays; bf16 without AVX-512 is refused', () => {
  assert.equal(cpuHasNativeBf16(cpu('avx512f avx512_bf16 avx512_vnni')), true);
  assert.equal(cpuHasNativeBf16(cpu('amx_tile amx_bf16')), true);
  assert.equal(cpuHasNativeBf16(cpu('avx512f avx512_vnni')), false);
  assert.equal(cpuHasNativeBf16(cpu('avx512_bf16x')), false, 'a longer flag name is not the flag');
  assert.equal(cpuHasNativeBf16('model name\t: avx512_bf16 in a name, not in flags\n'), false);
  assert.equal(cpuHasNativeBf16(''), false);
  assert.equal(resolvePrecision('auto', cpu('avx512_bf16')), 'bf16');
  assert.equal(resolvePrecision('auto', cpu('avx2')), 'fp32');
  assert.equal(resolvePrecision('fp32', cpu('avx512_bf16')), 'fp32');
  assert.equal(resolvePrecision('bf16', cpu('avx512f')), 'bf16', 'emulated on AVX-512: slow but allowed');
  assert.throws(() => resolvePrecision('bf16', cpu('avx2')), /precision 'bf16' needs a CPU with AVX-512 .* use precision 'auto' or 'fp32'/);
});

test('config: precision defaults to auto, rejects other values by name, and the old bf16 key says what replaced it', () => {
  const base = { data: 'd', format: 'ucf101', out: 'o' };
  assert.equal(resolveConfig(base).precision, 'auto');
  assert.equal(resolveConfig({ ...base, precision: 'fp32' }).precision, 'fp32');
  assert.throws(() => resolveConfig({ ...base, precision: 'fp16' }), /precision/);
  assert.throws(() => resolveConfig({ ...base, bf16: true }), /'bf16' was replaced by 'precision': auto .*, fp32 or bf16/);
});
