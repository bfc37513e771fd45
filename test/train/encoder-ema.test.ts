// The encoder's moving average: its arithmetic, what checkpoints store, and resuming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { synthesizeDataset } from '../../src/video/index.js';
import { createModel } from '../../src/models/registry.js';
import { noGrad, manualSeed, type Tensor } from '../../src/torch/index.js';
import { resolveConfig } from '../../src/train/config.js';
import { pretrain } from '../../src/train/pretrain.js';
import { EncoderEma } from '../../src/train/encoder-ema.js';
import { loadTrainCheckpoint } from '../../src/train/run-checkpoint.js';
import { tempDir } from '../helpers/python.js';

const maxDiff = (a: Tensor, b: Tensor) => a.sub(b).abs().amax().item();

test('EncoderEma: decay warms up as (1 + n) / (10 + n); weights and BatchNorm statistics follow a = d a + (1 - d) w; the step counter is copied', () => {
  manualSeed(1);
  const spec = { arch: 'r3d_18_tiny', overrides: { width: 0.125 } };
  const online = createModel(spec.arch, { ...spec.overrides, numClasses: 0 });
  const ema = new EncoderEma(online, spec, 0.9);
  assert.deepEqual([1, 8, 80, 1000].map((n) => Number(ema.decayAt(n).toFixed(6))), [0.181818, 0.5, 0.9, 0.9]);
  const keys = ['stem.0.weight', 'stem.1.running_mean', 'stem.1.num_batches_tracked'];
  const sd = () => online.stateDict();
  let want = keys.map((k) => sd().get(k)!.clone());
  for (const n of [1, 2, 3]) {
    noGrad(() => {
      sd().get(keys[0])!.add_(sd().get(keys[0])!.mul(0.5)).add_(0.1 * n);
      sd().get(keys[1])!.fill_(n);
      sd().get(keys[2])!.fill_(7 * n);
    });
    ema.update(n);
    const d = ema.decayAt(n);
    want = want.map((a, i) => (i === 2 ? sd().get(keys[2])!.clone() : a.mul(d).add(sd().get(keys[i])!.mul(1 - d))));
    const avg = ema.average.stateDict();
    keys.forEach((k, i) => assert.ok(maxDiff(avg.get(k)!.double(), want[i].double()) < 1e-6, `${k} after update ${n}`));
  }
  assert.ok(maxDiff(ema.average.stateDict().get(keys[0])!, sd().get(keys[0])!) > 1e-3, 'the average lags the online weights');
});

const root = tempDir('cvrl-ema-');
const data = join(root, 'data');
const base = { data, format: 'ucf101', annotations: join(data, 'annotations'), arch: 'r3d_18_tiny', frames: 4, stride: 2, size: 32, batch: 4, threads: 1, parallelism: 2, headHidden: 64, headOut: 32, lr: 8, steps: 4, checkpointEvery: 1, keepCheckpoints: 4, logEvery: 1, seed: 5, encoderEma: 0.5 };

test('encoderEma in pre-training: checkpoints hold the average as the encoder and the trained weights as onlineEncoder; a resumed run ends with the same average', async () => {
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 3, videosPerClass: 8, frames: 16, size: 40 });
  const whole = await pretrain({ config: resolveConfig({ ...base, out: join(root, 'whole') }), quiet: true });
  const files = readdirSync(join(whole.runDir, 'checkpoints')).sort().map((f) => loadTrainCheckpoint(join(whole.runDir, 'checkpoints', f)));
  assert.equal(files.length, 4);
  const k = 'layer1.0.conv1.0.weight';
  for (let i = 1; i < files.length; i++) {
    const step = files[i].state.step, d = Math.min(0.5, (1 + step) / (10 + step));
    const want = files[i - 1].encoder.get(k)!.mul(d).add(files[i].onlineEncoder.get(k)!.mul(1 - d));
    assert.ok(maxDiff(files[i].encoder.get(k)!, want) < 1e-6, `step ${step}: average = d x previous average + (1 - d) x trained weights`);
    assert.ok(maxDiff(files[i].encoder.get(k)!, files[i].onlineEncoder.get(k)!) > 1e-6, 'the average is not the trained encoder');
  }
  const runDir = join(root, 'resumed');
  await pretrain({ config: resolveConfig({ ...base, out: runDir }), quiet: true, stopAfter: 2 });
  await pretrain({ config: resolveConfig({ ...base, out: runDir }), resume: true, quiet: true });
  const [a, b] = [loadTrainCheckpoint(runDir), loadTrainCheckpoint(whole.runDir)];
  assert.equal(a.state.step, 4);
  for (const key of [k, 'stem.1.running_var']) assert.equal(maxDiff(a.encoder.get(key)!, b.encoder.get(key)!), 0, key);
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, steps: 5, encoderEma: 0, out: runDir }), resume: true, quiet: true }), /trained with encoderEma; it cannot be resumed without it/);
  assert.throws(() => resolveConfig({ ...base, encoderEma: 1, out: join(root, 'bad') }), /'encoderEma': Number must be less than 1/);
});
