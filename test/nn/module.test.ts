import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tidy, zeros, Tensor, cudaAvailable, manualSeed } from '../../src/torch/index.js';
import { Module, Conv3d, BatchNorm3d, BatchNorm1d, Linear, Sequential, ReLU, Dropout, Identity, Parameter } from '../../src/nn/index.js';

class Block extends Module {
  conv = this.registerModule('conv1', new Conv3d(2, 4, 3, { padding: 1, bias: false }));
  bn = this.registerModule('bn1', new BatchNorm3d(4));
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x)).relu();
  }
}
class Net extends Module {
  layer1 = this.registerModule('layer1', new Sequential(new Block(), new Block2()));
  fc = this.registerModule('fc', new Linear(4, 3));
  scale = this.registerParameter('scale', new Parameter(zeros([1])));
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.layer1.forward(x).mean([2, 3, 4])).add(this.scale);
  }
}
class Block2 extends Block {
  constructor() {
    super();
  }
  override forward(x: Tensor): Tensor {
    return super.forward(x.narrow(1, 0, 2).repeat([1, 1, 1, 1, 1]));
  }
}

test('state dict keys follow PyTorch naming and order', () => {
  tidy(() => {
    const net = new Net();
    assert.deepEqual([...net.stateDict().keys()], [
      'scale',
      'layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer1.0.bn1.bias', 'layer1.0.bn1.running_mean', 'layer1.0.bn1.running_var', 'layer1.0.bn1.num_batches_tracked',
      'layer1.1.conv1.weight', 'layer1.1.bn1.weight', 'layer1.1.bn1.bias', 'layer1.1.bn1.running_mean', 'layer1.1.bn1.running_var', 'layer1.1.bn1.num_batches_tracked',
      'fc.weight', 'fc.bias',
    ]);
    assert.deepEqual(net.namedParameters().map(([k]) => k).slice(0, 3), ['scale', 'layer1.0.conv1.weight', 'layer1.0.bn1.weight']);
    assert.equal(net.buffers().length, 6);
    assert.equal(net.numParameters(), 1 + 2 * (4 * 2 * 27 + 8) + 15);
    assert.equal(net.stateDict().get('layer1.0.bn1.num_batches_tracked')!.dtype, 'int64');
  });
});

test('loadStateDict: strict errors name keys, non-strict reports them, shapes are checked, values copied', () => {
  tidy(() => {
    const a = new Net(), b = new Net();
    const sd = a.stateDict();
    b.loadStateDict(sd);
    for (const [k, v] of b.stateDict()) assert.deepEqual(v.toArray(), sd.get(k)!.toArray(), k);
    const partial = new Map(sd);
    partial.delete('fc.bias');
    partial.set('extra.weight', randn([2]));
    assert.throws(() => b.loadStateDict(partial), /1 missing key\(s\) \[fc\.bias\], 1 unexpected key\(s\) \[extra\.weight\]/);
    assert.deepEqual(b.loadStateDict(partial, { strict: false }), { missingKeys: ['fc.bias'], unexpectedKeys: ['extra.weight'] });
    const wrong = new Map(sd);
    wrong.set('fc.weight', randn([3, 5]));
    assert.throws(() => b.loadStateDict(wrong), /shape mismatch for 'fc.weight': module has \[3, 4\], state dict has \[3, 5\]/);
  });
});

test('train/eval propagate; BatchNorm uses running stats in eval; dropout only in training', () => {
  tidy(() => {
    const net = new Sequential(new Linear(6, 6), new BatchNorm1d(6), new Dropout(0.5), new ReLU());
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    const x = randn([8, 6]);
    assert.deepEqual(net.forward(x).toArray(), net.forward(x).toArray(), 'eval is deterministic');
    net.train();
    assert.ok(net.modules().every((m) => m.training));
    const bn = net.at(1) as BatchNorm1d;
    const before = bn.runningMean!.toArray();
    net.forward(x);
    assert.notDeepEqual(bn.runningMean!.toArray(), before, 'running mean updates in training');
    assert.equal(bn.numBatchesTracked!.item(), 1);
    assert.throws(() => bn.forward(randn([2, 5])), /BatchNorm1d\(6\) got 5 channels/);
    assert.throws(() => new BatchNorm3d(3).forward(randn([2, 3])), /expects a 5-D input/);
  });
});

test('to(dtype) converts floating tensors in place and keeps references valid; zeroGrad clears', () => {
  tidy(() => {
    const net = new Net();
    const w = net.fc.weight;
    net.to('float64');
    assert.equal(w.dtype, 'float64');
    assert.equal(net.fc.weight, w);
    assert.equal(net.stateDict().get('layer1.0.bn1.num_batches_tracked')!.dtype, 'int64');
    const y = net.forward(randn([2, 2, 3, 4, 4], { dtype: 'float64' }));
    y.sum().backward();
    assert.ok(w.grad !== null && w.requiresGrad);
    net.zeroGrad();
    assert.equal(w.grad, null);
    if (!cudaAvailable()) assert.throws(() => net.to('cuda:0'));
  });
});

test('Identity and Sequential outputs are independent handles that preserve autograd', () => {
  tidy(() => {
    const x = randn([3]).requiresGrad_();
    const y = new Identity().forward(x);
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
    y.dispose();
    assert.ok(!x.isDisposed);
    assert.throws(() => new Conv3d(3, 4, 3, { groups: 2 }), /divisible by groups/);
    assert.throws(() => new Conv3d(3, 4, [3, 3] as unknown as number), /kernel size must be/);
  });
});

test('module forwards free their intermediates without a caller scope: one live tensor more per call, the result', async () => {
  const { liveTensorCount, randn, noGrad, tidy } = await import('../../src/torch/index.js');
  const { createModel } = await import('../../src/models/index.js');
  const { CvrlModel } = await import('../../src/ssl/cvrl-model.js');
  for (const arch of ['r3d_18_tiny', 'r2plus1d_18']) {
    const model = new CvrlModel(createModel(arch, { width: 0.25, input: 'diff' }), { hiddenDim: 16, outDim: 8, hiddenLayers: 2 });
    const x = randn([2, 3, 4, 16, 16]);
    for (const grad of [true, false]) {
      const before = liveTensorCount();
      const z = grad ? model.forward(x) : noGrad(() => model.forward(x));
      assert.equal(liveTensorCount(), before + 1, `${arch} (grad ${grad}): only the output survives`);
      assert.deepEqual([...z.shape], [2, 8]);
      if (grad) {
        tidy(() => {
          z.sum().backward(); // the graph still holds what backward needs
          const g = model.encoder.parameters()[0].grad;
          assert.ok(g && g.abs().sum().item() > 0);
        });
        model.zeroGrad();
      }
      z.dispose();
      assert.equal(liveTensorCount(), before);
    }
    x.dispose();
  }
});

test('ReLU(true) after BatchNorm: the same output and gradients as ReLU(), computed in place', () => {
  manualSeed(4);
  const make = (inplace: boolean) => {
    manualSeed(5);
    return new Sequential(new Conv3d(2, 4, 3, { padding: 1 }), new BatchNorm3d(4), new ReLU(inplace));
  };
  const [a, b] = [make(false), make(true)];
  const x = randn([2, 2, 3, 5, 5]);
  const [xa, xb] = [x.clone().requiresGrad_(), x.clone().requiresGrad_()];
  const [ya, yb] = [a.forward(xa), b.forward(xb)];
  assert.ok(ya.sub(yb).abs().amax().item() === 0);
  ya.mul(ya).sum().backward();
  yb.mul(yb).sum().backward();
  assert.ok(xa.grad!.sub(xb.grad!).abs().amax().item() < 1e-6);
  const [wa, wb] = [a.parameters()[0].grad!, b.parameters()[0].grad!];
  assert.ok(wa.sub(wb).abs().amax().item() < 1e-6);
});

test('Sequential frees each intermediate once the next layer used it, never its input, and keeps in-place results', () => {
  const seen: Tensor[] = [];
  class Record extends Module {
    forward(x: Tensor): Tensor {
      seen.push(x);
      return x.mul(2);
    }
  }
  tidy(() => {
    const x = randn([3, 4]);
    const y = new Sequential(new Record(), new ReLU(true), new Record(), new Record()).forward(x);
    assert.equal(seen.length, 3);
    assert.equal(seen[0], x);
    assert.ok(!x.isDisposed, 'the input stays');
    assert.ok(seen[1].isDisposed && seen[2].isDisposed, 'intermediates are freed');
    assert.deepEqual(y.toArray(), x.relu().mul(8).toArray());
    // With autograd the freed handles change nothing: backward still finds what it saved.
    const w = randn([4]).requiresGrad_();
    new Sequential(new Record(), new ReLU(true), new Record()).forward(x.mul(w)).sum().backward();
    assert.deepEqual(w.grad!.toArray(), x.mul(4).mul(x.mul(w).gt(0)).sum(0).toArray());
  });
});

test('a nested Sequential is handed its input: freed after its first layer, before its later ones run', () => {
  const events: string[] = [];
  let stageInput: Tensor | null = null;
  class Record extends Module {
    constructor(readonly name: string) { super(); }
    forward(x: Tensor): Tensor {
      events.push(`${this.name}:${stageInput?.isDisposed ? 'freed' : 'held'}`);
      return x.mul(2);
    }
  }
  class First extends Module {
    forward(x: Tensor): Tensor {
      stageInput = x.add(1);
      return stageInput;
    }
  }
  tidy(() => {
    const x = randn([3, 4]);
    const inner = new Sequential(new Record('a'), new Record('b'));
    const y = new Sequential(new First(), inner, new Sequential()).forward(x);
    assert.deepEqual(events, ['a:held', 'b:freed'], "the stage's input is freed once its first layer used it");
    assert.ok(!x.isDisposed, 'the outer input stays');
    assert.deepEqual(y.toArray(), x.add(1).mul(4).toArray(), 'an empty Sequential passes its input through');
    // Called directly, a Sequential's input is the caller's: it stays.
    const z = randn([2]);
    inner.forward(z);
    assert.ok(!z.isDisposed);
  });
});
