import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuHasNativeBf16, resolvePrecision } from '../../src/torch/precision.js';
import { resolveConfig } from '../../src/train/config.js';
import { info } from '../../src/torch/index.js';
import { spawnSync } from 'node:child_process';

const cpu = (flags: string) => `processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 ${flags}\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx2 ${flags}\n`;

test('precision auto: bf16 only where the CPU lists avx512_bf16 or amx_bf16; fp32 stays; bf16 without AVX-512 is refused', () => {
  assert.equal(cpuHasNativeBf16(cpu('avx512f avx512_bf16 avx512_vnni')), true);
  assert.equal(cpuHasNativeBf16(cpu('amx_tile amx_bf16')), true);
  assert.equal(cpuHasNativeBf16(cpu('avx512f avx512_vnni')), false);
  assert.equal(cpuHasNativeBf16(cpu('avx512_bf16x')), false, 'a longer flag name is not the flag');
  assert.equal(cpuHasNativeBf16('model name\t: avx512_bf16 in a name, not in flags\n'), false);
  assert.equal(cpuHasNativeBf16(''), false);
  assert.equal(resolvePrecision('auto', cpu('avx512f avx512_bf16')), 'bf16');
  assert.equal(resolvePrecision('auto', cpu('avx2')), 'fp32');
  assert.equal(resolvePrecision('fp32', cpu('avx512_bf16')), 'fp32');
  assert.equal(resolvePrecision('bf16', cpu('avx512f')), 'bf16', 'emulated on AVX-512: slow but allowed');
  assert.throws(() => resolvePrecision('bf16', cpu('avx2')), /precision 'bf16' needs a CPU with AVX-512 .* use precision 'auto' or 'fp32'/);
  // Where the addon reports no bfloat16 convolutions (oneDNN's own check), auto is fp32 whatever the flags say.
  assert.equal(resolvePrecision('auto', cpu('avx512f avx512_bf16'), 'cpu', false), 'fp32');
  assert.throws(() => resolvePrecision('bf16', cpu('avx512f avx512_bf16'), 'cpu', false), /needs a CPU with AVX-512/);
  assert.equal(resolvePrecision('auto', cpu('avx512f avx512_bf16'), 'cpu', true), 'bf16');
});

test('config: precision defaults to auto, rejects other values by name, and the old bf16 key says what replaced it', () => {
  const base = { data: 'd', format: 'ucf101', out: 'o' };
  assert.equal(resolveConfig(base).precision, 'auto');
  assert.equal(resolveConfig({ ...base, precision: 'fp32' }).precision, 'fp32');
  assert.throws(() => resolveConfig({ ...base, precision: 'fp16' }), /precision/);
  assert.throws(() => resolveConfig({ ...base, bf16: true }), /'bf16' was replaced by 'precision': auto .*, fp32 or bf16/);
});

test('a bfloat16 convolution on a CPU without them (oneDNN capped at AVX2) fails with a message naming the cause; auto is float32, which runs', { skip: !info().oneDnnLayers && 'the cap only reaches the oneDNN this addon calls; built without it' }, () => {
  const script = `Promise.all(['../../src/torch/index.ts', '../../src/torch/precision.ts'].map((f) => import(new URL(f, '${import.meta.url}').href))).then(([{ info, randn, autocast, F }, { resolvePrecision }]) => {
    const x = randn([1, 3, 2, 6, 6]), w = randn([4, 3, 1, 3, 3]);
    console.log(JSON.stringify({ bf16: info().bf16Convolutions, auto: resolvePrecision('auto'), fp32: F.conv3d(x, w).shape }));
    try { autocast(() => F.conv3d(x, w)); console.log('no error'); } catch (e) { console.log(e.message); }
  });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX2' } });
  assert.equal(r.status, 0, r.stderr);
  const [facts, message] = r.stdout.trim().split('\n');
  assert.deepEqual(JSON.parse(facts), { bf16: false, auto: 'fp32', fp32: [1, 4, 2, 4, 4] });
  assert.match(message, /^bfloat16 convolutions need a CPU with AVX-512 .*use float32: precision 'fp32' or 'auto'/);
});
