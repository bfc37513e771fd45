// Device selection on any build: parsing, and what a CPU-only addon says when asked for CUDA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { info } from '../../src/torch/runtime.js';
import { resolveDevice, cudaIndex, toDeviceBatch } from '../../src/torch/device.js';
import { resolvePrecision } from '../../src/torch/precision.js';
import { randn } from '../../src/torch/creation.js';
import { resolveConfig } from '../../src/train/config.js';
import { tempDir } from '../helpers/python.js';

const cpuOnly = info().cudaCompiled ? 'this addon has CUDA' : false;

test('device names are checked: cpu, cuda, cuda:N; anything else is refused by name', () => {
  assert.equal(resolveDevice('cpu'), 'cpu');
  assert.equal(cudaIndex('cpu'), undefined);
  assert.equal(cudaIndex('cuda:3'), 3);
  for (const bad of ['gpu', 'cuda:', 'cuda:x', 'cpu:0', 'CUDA', 'mps']) assert.throws(() => resolveDevice(bad), new RegExp(`device must be cpu, cuda or cuda:N, got '${bad}'`));
  assert.throws(() => resolveConfig({ data: 'd', format: 'folder', out: 'o', device: 'gpu' }), /'device': must be cpu, cuda or cuda:N/);
});

test('asking a CPU-only build for CUDA names the missing piece and how to get it', { skip: cpuOnly }, () => {
  for (const spec of ['cuda', 'cuda:1']) {
    assert.throws(() => resolveDevice(spec), /built against a libtorch without CUDA.*LIBTORCH=.*npm run build:native/);
  }
  // Tensors already on the CPU stay as they are (no copy, nothing disposed).
  const t = randn([2]);
  assert.equal(toDeviceBatch([t], 'cpu')[0], t);
  assert.ok(!t.isDisposed);
});

test('precision auto means bf16 on a GPU, whatever the CPU', () => {
  const avx2 = 'flags\t\t: fpu sse2 avx avx2 fma\n';
  assert.equal(resolvePrecision('auto', avx2), 'fp32');
  assert.equal(resolvePrecision('auto', avx2, 'cuda:0'), 'bf16');
  assert.equal(resolvePrecision('bf16', avx2, 'cuda:0'), 'bf16');
  assert.throws(() => resolvePrecision('bf16', avx2), /AVX-512/);
});

test('`cvrl pretrain --device cuda` on a CPU-only build exits at once with that message', { skip: cpuOnly }, () => {
  const never = join(tempDir(), 'never');
  const r = spawnSync(process.execPath, ['bin/cvrl.js', 'pretrain', '--data', '/nonexistent', '--format', 'folder', '--out', never, '--device', 'cuda'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CVRL_NO_JEMALLOC: '1' } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /device 'cuda': this cvrl addon was built against a libtorch without CUDA/);
  const e = spawnSync(process.execPath, ['bin/cvrl.js', 'linear-eval', '--arch', 'r3d_18_tiny', '--random-init', '--data', '/nonexistent', '--format', 'folder', '--out', never, '--device', 'cuda:0'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CVRL_NO_JEMALLOC: '1' } });
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /device 'cuda:0': this cvrl addon was built against a libtorch without CUDA/);
});

test('the quick exit of CUDA builds keeps the exit code and every line written before it', () => {
  // An exit listener added after the addon loaded runs only on the normal exit: it shows which one ran.
  const code = "import('./src/torch/index.ts').then(() => { for (let i = 0; i < 2000; i++) console.log('line ' + i); process.on('exit', () => console.log('late')); process.exitCode = 5; })";
  const run = (quick: string) => spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CVRL_QUICK_EXIT: quick } });
  const quick = run('1');
  assert.equal(quick.status, 5, quick.stderr);
  assert.equal(quick.stdout.trim().split('\n').length, 2000);
  assert.match(quick.stdout, /line 1999\n$/);
  if (!info().cudaCompiled) assert.match(run('0').stdout, /line 1999\nlate\n$/);
});
