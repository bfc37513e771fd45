import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const cvrl = (...args: string[]) => spawnSync(process.execPath, ['bin/cvrl.js', ...args], { encoding: 'utf8' });

test('cvrl info --json reports libtorch version, threads, CUDA and build flags', () => {
  const r = cvrl('info', '--json', '--threads', '2');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.match(j.libtorchVersion, /^\d+\.\d+\.\d+/);
  assert.equal(j.threads, 2);
  assert.equal(typeof j.cuda.available, 'boolean');
  assert.equal(typeof j.cuda.deviceCount, 'number');
  assert.equal(j.build.mkldnn, true, 'convolutions need oneDNN (mkldnn)');
  assert.equal(typeof j.bf16Convolutions, 'boolean');
  assert.match(j.build.config, /PyTorch built with/);
});

test('unknown commands and bad flags fail with a message', () => {
  const r = cvrl('frobnicate');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  const t = cvrl('info', '--threads', '0');
  assert.notEqual(t.status, 0);
  assert.match(t.stderr, /--threads must be a positive integer, got '0'/);
});
