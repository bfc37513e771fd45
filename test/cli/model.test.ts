import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const cvrl = (...args: string[]) => spawnSync(process.execPath, ['bin/cvrl.js', ...args], { encoding: 'utf8' });

test('cvrl model summary --json gives the backbone count, feature dim, feature map and GFLOPs', () => {
  const r = cvrl('model', 'summary', '--arch', 'cvrl_r3d50', '--frames', '16', '--size', '224', '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.arch, 'cvrl_r3d50');
  assert.ok(Math.abs(s.params / 1e6 - 31.7) < 0.1);
  assert.equal(s.feature_dim, 2048);
  assert.deepEqual(s.feature_map_shape, [1, 2048, 8, 7, 7]);
  assert.ok(s.gflops > 40 && s.gflops < 50);
  const w = JSON.parse(cvrl('model', 'summary', '--arch', 'cvrl_r3d50', '--width', '2', '--json').stdout);
  assert.ok(Math.abs(w.params / 1e6 - 126.5) < 0.1);
  assert.equal(w.feature_dim, 4096);
});

test('model commands reject unknown architectures and bad flags', () => {
  const r = cvrl('model', 'summary', '--arch', 'resnet9000');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown model 'resnet9000'; available:/);
  assert.match(cvrl('model', 'summary', '--arch', 'r3d_18', '--size', 'big').stderr, /--size must be a positive integer, got 'big'/);
  assert.match(cvrl('export', '--checkpoint', '/nonexistent', '--format', 'onnx', '--out', '/tmp/x.onnx').stderr, /checkpoint not found: \/nonexistent/);
  const list = cvrl('model', 'list');
  assert.match(list.stdout, /cvrl_r3d50 /);
});
