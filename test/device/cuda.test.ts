// GPU paths: run where the addon was built against a CUDA libtorch and a GPU is visible
// (scripts/gpu-check.sh); everywhere else each test skips, naming why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { info, manualSeed } from '../../src/torch/runtime.js';
import { randn, fromTypedArray } from '../../src/torch/creation.js';
import { autocast } from '../../src/torch/autograd.js';
import { resolveDevice, toDeviceBatch } from '../../src/torch/device.js';
import { ProcessGroup } from '../../src/torch/distributed.js';
import { createModel } from '../../src/models/registry.js';
import { ntXent } from '../../src/ssl/ntxent.js';
import { synthesizeDataset } from '../../src/video/index.js';
import { openDataset } from '../../src/video/dataset.js';
import { resolveConfig } from '../../src/train/config.js';
import { pretrain } from '../../src/train/pretrain.js';
import { sameOnAllRanks, anyRank } from '../../src/train/distributed.js';
import { openEncoder } from '../../src/jobs/encoder-source.js';
import { linearEval } from '../../src/eval/linear-eval.js';
import { tempDir } from '../helpers/python.js';
import { native } from '../../src/native/addon.js';

const i = info();
const skip = !i.cudaCompiled ? 'this addon was built without CUDA (scripts/gpu-check.sh builds one on a GPU machine)'
  : !i.cudaAvailable ? 'CUDA build, but no GPU is visible' : false;
const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k])), 0);

test('a model on cuda computes what it computes on the CPU, forward and backward', { skip }, () => {
  manualSeed(3);
  const cpu = createModel('r3d_18_tiny', { numClasses: 0 });
  const gpu = createModel('r3d_18_tiny', { numClasses: 0 });
  gpu.loadStateDict(cpu.stateDict());
  gpu.to('cuda:0');
  assert.equal(gpu.device, 'cuda:0');
  const x = randn([2, 3, 4, 32, 32]);
  const [xg] = toDeviceBatch([x.clone()], 'cuda:0');
  assert.equal(xg.device, 'cuda:0');
  const yc = cpu.forward(x), yg = gpu.forward(xg);
  // cuDNN may use TF32 for convolutions: agreement to about 1e-2 of the output's scale.
  const scale = Math.max(...yc.abs().toArray());
  assert.ok(maxAbsDiff(yc.toArray(), yg.toArray()) <= 2e-2 * scale + 1e-4, 'forward');
  yc.square().sum().backward();
  yg.square().sum().backward();
  const gc = [...cpu.parameters()][0].grad!, gg = [...gpu.parameters()][0].grad!;
  assert.equal(gg.device, 'cuda:0');
  const gs = Math.max(...gc.abs().toArray());
  assert.ok(maxAbsDiff(gc.toArray(), gg.toArray()) <= 5e-2 * gs + 1e-4, 'first layer gradient');
});

test('bf16 autocast reaches CUDA matmuls; the NT-Xent loss on cuda equals the CPU one', { skip }, () => {
  const y = autocast(() => randn([4, 8], { device: 'cuda:0' }).matmul(randn([8, 4], { device: 'cuda:0' })));
  assert.equal(y.dtype, 'bfloat16');
  const a = randn([8, 16]), b = randn([8, 16]);
  const cpuLoss = ntXent([a, b]).item();
  const gpuLoss = ntXent(toDeviceBatch([a.clone(), b.clone()], 'cuda:0')).item();
  assert.ok(Math.abs(cpuLoss - gpuLoss) < 1e-4 * Math.abs(cpuLoss), `${cpuLoss} vs ${gpuLoss}`);
});

test('an NCCL group of one rank sums CUDA tensors, and CPU tensors through its scratch buffers', { skip: skip || (!native.ncclAvailable && 'this CUDA build has no NCCL') }, async () => {
  const g = await ProcessGroup.init({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: 29500, timeoutMs: 60_000, storeFile: join(tempDir('cvrl-nccl-'), 'store'), cudaDevice: 0 });
  try {
    assert.equal(g.device, 'cuda:0');
    const t = fromTypedArray(new Float32Array([1, 2, 3]), undefined, { device: 'cuda:0' });
    const c = fromTypedArray(new Float64Array([4, 5]));
    await g.allReduce([t, c]);
    assert.deepEqual(t.toArray(), [1, 2, 3]);
    assert.deepEqual(c.toArray(), [4, 5]);
    assert.equal(c.device, 'cpu');
    const all = await g.allGather(c);
    assert.deepEqual(all.toArray(), [4, 5]);
    await sameOnAllRanks(g, [{ name: 'x', value: 'same' }], '');
    assert.equal(await anyRank(true, g), true);
  } finally {
    g.destroy();
  }
});

test('pre-training on cuda runs, checkpoints, resumes on the CPU, and its encoder evaluates on cuda', { skip }, async () => {
  const root = tempDir('cvrl-cuda-');
  const data = join(root, 'data');
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 2, videosPerClass: 4, frames: 8, size: 24 });
  const base = { data, format: 'ucf101', annotations: join(data, 'annotations'), arch: 'r3d_18_tiny', frames: 4, stride: 2, size: 16, batch: 4, threads: 2, parallelism: 2, headHidden: 16, headOut: 8, steps: 4, checkpointEvery: 2, logEvery: 1, seed: 1, out: join(root, 'run') };
  const r = await pretrain({ config: resolveConfig({ ...base, device: 'cuda', steps: 2 }), quiet: true });
  assert.equal(r.steps, 2);
  assert.ok(Number.isFinite(r.finalLoss));
  const resumed = await pretrain({ config: resolveConfig({ ...base, device: 'cpu' }), resume: true, quiet: true });
  assert.equal(resumed.steps, 4);
  const src = openEncoder({ checkpoint: base.out, device: 'cuda' });
  assert.equal(src.encoder.device, 'cuda:0');
  const ds = openDataset({ data, format: 'ucf101', annotations: join(data, 'annotations'), split: 1 });
  const e = await linearEval(src.encoder, ds, ds, { frames: 4, stride: 2, size: 16, epochs: 2, batchSize: 4, augment: false, temporalViews: 1, spatialViews: 1 });
  assert.ok(e.top1 >= 0 && e.top1 <= 100);
  assert.equal(resolveDevice('cuda'), 'cuda:0');
});
