// Layers and initialisers against PyTorch itself (python3-torch) on the same weights and inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randn, manualSeed, tidy, tensor, Tensor, F } from '../../src/torch/index.js';
import { Conv3d, BatchNorm3d, Linear, MaxPool3d, AdaptiveAvgPool3d, Sequential, ReLU, saveSafetensors, loadSafetensors } from '../../src/nn/index.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

const skip = !torchAvailable() && 'python3-torch missing';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return a.sub(b).abs().amax().item();
}

test('default initialisation reproduces PyTorch exactly for the same seed', { skip }, () => {
  const dir = tempDir();
  tidy(() => {
    manualSeed(42);
    const conv = new Conv3d(3, 8, [3, 5, 5], { padding: 1 });
    const lin = new Linear(16, 4);
    const sd = new Map<string, Tensor>();
    for (const [k, v] of conv.stateDict()) sd.set(`conv.${k}`, v);
    for (const [k, v] of lin.stateDict()) sd.set(`lin.${k}`, v);
    saveSafetensors(join(dir, 'ours.safetensors'), sd);
    runPython(`
torch.manual_seed(42)
conv = torch.nn.Conv3d(3, 8, (3, 5, 5), padding=1)
lin = torch.nn.Linear(16, 4)
sd = {f'conv.{k}': v for k, v in conv.state_dict().items()}
sd.update({f'lin.{k}': v for k, v in lin.state_dict().items()})
st_ref.save(sd, os.path.join(DIR, 'torch.safetensors'))
`, dir);
    const theirs = loadSafetensors(join(dir, 'torch.safetensors')).tensors;
    const ours = loadSafetensors(join(dir, 'ours.safetensors')).tensors;
    for (const [k, v] of theirs) assert.equal(maxAbsDiff(ours.get(k)!, v), 0, k);
  });
});

test('Conv3d, BatchNorm3d, ReLU, MaxPool3d, pooling and Linear match PyTorch forward, backward and running stats', { skip }, () => {
  const dir = tempDir();
  tidy(() => {
    manualSeed(3);
    const net = new Sequential(
      new Conv3d(3, 6, [3, 7, 7], { stride: [1, 2, 2], padding: [1, 3, 3], bias: false }),
      new BatchNorm3d(6),
      new ReLU(),
      new MaxPool3d([1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] }),
      new AdaptiveAvgPool3d(1),
    );
    const head = new Linear(6, 5);
    const x = randn([4, 3, 4, 16, 16]);
    const target = tensor([0, 4, 2, 1], { dtype: 'int64' });
    const feats = net.forward(x).flatten(1);
    const logits = head.forward(feats);
    const loss = F.crossEntropy(logits, target);
    loss.backward();
    const sd = new Map<string, Tensor>([...net.stateDict()].map(([k, v]) => [`net.${k}`, v]));
    for (const [k, v] of head.stateDict()) sd.set(`head.${k}`, v);
    sd.set('x', x);
    sd.set('target', target);
    saveSafetensors(join(dir, 'in.safetensors'), sd);
    // Running stats in our state dict are post-step; give PyTorch the initial ones.
    runPython(`
t, _ = st_ref.load(os.path.join(DIR, 'in.safetensors'))
net = torch.nn.Sequential(
    torch.nn.Conv3d(3, 6, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
    torch.nn.BatchNorm3d(6), torch.nn.ReLU(),
    torch.nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
    torch.nn.AdaptiveAvgPool3d(1))
head = torch.nn.Linear(6, 5)
net[0].weight.data.copy_(t['net.0.weight']); net[1].weight.data.copy_(t['net.1.weight']); net[1].bias.data.copy_(t['net.1.bias'])
head.weight.data.copy_(t['head.weight']); head.bias.data.copy_(t['head.bias'])
logits = head(net(t['x']).flatten(1))
loss = torch.nn.functional.cross_entropy(logits, t['target'])
loss.backward()
net.eval()
with torch.no_grad():
    evalout = head(net(t['x']).flatten(1))
st_ref.save({'logits': logits.detach(), 'loss': loss.detach(), 'conv_grad': net[0].weight.grad, 'head_grad': head.weight.grad,
             'running_mean': net[1].running_mean, 'running_var': net[1].running_var, 'nbt': net[1].num_batches_tracked,
             'eval_logits': evalout}, os.path.join(DIR, 'out.safetensors'))
`, dir);
    const ref = loadSafetensors(join(dir, 'out.safetensors')).tensors;
    assert.ok(maxAbsDiff(logits, ref.get('logits')!) < 1e-5);
    assert.ok(Math.abs(loss.item() - ref.get('loss')!.item()) < 1e-5);
    const conv = net.at(0) as Conv3d;
    assert.ok(maxAbsDiff(conv.weight.grad!, ref.get('conv_grad')!) < 1e-5);
    assert.ok(maxAbsDiff(head.weight.grad!, ref.get('head_grad')!) < 1e-5);
    const bn = net.at(1) as BatchNorm3d;
    assert.ok(maxAbsDiff(bn.runningMean!, ref.get('running_mean')!) < 1e-6);
    assert.ok(maxAbsDiff(bn.runningVar!, ref.get('running_var')!) < 1e-5);
    assert.equal(bn.numBatchesTracked!.item(), ref.get('nbt')!.item());
    net.eval();
    const evalLogits = head.forward(net.forward(x).flatten(1));
    assert.ok(maxAbsDiff(evalLogits, ref.get('eval_logits')!) < 1e-5);
  });
});
