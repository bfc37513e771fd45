// Checkpoint metadata is read from files users download: it is validated before any model is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { zeros } from '../../src/torch/creation.js';
import { saveSafetensors } from '../../src/nn/safetensors.js';
import { loadEncoder, readCheckpointMeta } from '../../src/models/checkpoint.js';
import { loadTrainCheckpoint } from '../../src/train/run-checkpoint.js';
import { tempDir } from '../helpers/python.js';

const dir = tempDir('cvrl-trust-');
let n = 0;
function checkpoint(meta: Record<string, unknown>): string {
  const file = join(dir, `ck${n++}.safetensors`);
  const t = zeros([1]);
  saveSafetensors(file, { 'encoder.x': t }, { cvrl: JSON.stringify({ format: 'cvrl-checkpoint', version: 1, ...meta }) });
  t.dispose();
  return file;
}

test('model metadata outside the registry ranges is refused before building, naming the file and field', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ arch: 'r3d_18_tiny', overrides: { layers: [65, 2, 2, 2] } }, /layers/],
    [{ arch: 'r3d_18_tiny', overrides: { layers: [100000, 2, 2, 2] } }, /layers/],
    [{ arch: 'r3d_18_tiny', overrides: { width: 1e6 } }, /width/],
    [{ arch: 'r3d_18_tiny', overrides: { planes: [64, 128, 256] } }, /planes/],
    [{ arch: 'r3d_18_tiny', overrides: { temporalKernels: [3, 3, 3, [3, 1e9]] } }, /temporalKernels/],
    [{ arch: 'r3d_18_tiny', overrides: { stem: { kind: 'conv', channels: 1e7, kernel: [3, 7, 7], stride: [1, 2, 2] } } }, /stem/],
    [{ arch: 'r3d_18_tiny', overrides: { bogus: 1 } }, /bogus/],
    [{ arch: 'r3d_18_tiny', overrides: 'width=2' }, /overrides/],
    [{ arch: 'no_such_net', overrides: {} }, /no_such_net/],
  ];
  for (const [model, field] of cases) {
    const file = checkpoint({ model });
    const t0 = performance.now();
    for (const load of [() => loadEncoder(file), () => readCheckpointMeta(file)]) {
      assert.throws(load, (e: Error) => {
        assert.ok(e.message.startsWith(file), e.message);
        assert.match(e.message, field);
        return true;
      });
    }
    assert.ok(performance.now() - t0 < 2000, `${JSON.stringify(model)} took ${performance.now() - t0} ms`);
  }
});

test('training state and optimiser groups of a checkpoint are checked on resume, naming the file and field', () => {
  const model = { arch: 'r3d_18_tiny', overrides: {} };
  const train = { step: 4, epoch: 0, batchInEpoch: 4, scheduleStep: 4, lastLoss: 1, config: {}, worldSize: 1, optimizer: { steps: 4, groups: [{ lr: 0.1, weightDecay: 0 }], perParam: {} } };
  assert.equal(loadTrainCheckpoint(checkpoint({ model, train })).state.step, 4);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...train, step: -1 }, /train\.step/],
    [{ ...train, epoch: 'zero' }, /train\.epoch/],
    [{ ...train, batchInEpoch: 1.5 }, /train\.batchInEpoch/],
    [{ ...train, config: null }, /train\.config/],
    [{ ...train, optimizer: { steps: 4, groups: 'all', perParam: {} } }, /optimizer\.groups/],
    [{ ...train, optimizer: { steps: 4, groups: [{ lr: 'fast' }], perParam: {} } }, /optimizer\.groups\[0\]\.lr/],
    [{ ...train, optimizer: { steps: 4, groups: [{ lr: 0.1, params: [] }], perParam: {} } }, /optimizer\.groups\[0\]\.params/],
    [{ ...train, optimizer: { steps: 4, groups: [], perParam: { 0: { t: 'x' } } } }, /optimizer\.perParam/],
  ];
  for (const [state, field] of bad) {
    const file = checkpoint({ model, train: state });
    assert.throws(() => loadTrainCheckpoint(file), (e: Error) => {
      assert.ok(e.message.startsWith(file), e.message);
      assert.match(e.message, field);
      return true;
    });
  }
});
