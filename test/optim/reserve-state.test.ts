// Optimiser state is allocated at construction (before the first forward pass) and filled by the
// first step: no new tensors at that step, the values of lazily created state, nothing leaked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, manualSeed, tidy, liveTensorCount } from '../../src/torch/index.js';
import { Parameter, Linear } from '../../src/nn/index.js';
import { SGD, LARS, AdamW, type Optimizer } from '../../src/optim/index.js';

type Make = (ps: Parameter[]) => Optimizer<{ lr: number }>;
const makers: [string, Make, number][] = [
  ['SGD with momentum', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.5 }), 1],
  ['LARS', (ps) => new LARS(ps, { lr: 0.3, weightDecay: 1e-4 }), 1],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 }), 2],
];

for (const [name, make, perParam] of makers) {
  test(`${name}: state tensors exist from construction, the first step fills them without new ones`, () => {
    tidy(() => {
      manualSeed(3);
      const ps = [new Parameter(randn([4, 3])), new Parameter(randn([4]))];
      const frozen = new Parameter(randn([7]));
      frozen.requiresGrad_(false);
      const before = liveTensorCount();
      const opt = make([...ps, frozen]);
      assert.equal(liveTensorCount() - before, perParam * ps.length, 'one tensor per state name and trainable parameter, none for the frozen one');
      assert.equal(opt.stateDict().tensors.size, 0, 'an optimizer that has not stepped has no state to save, as in PyTorch');
      const afterConstruction = liveTensorCount();
      for (let i = 0; i < 2; i++) {
        tidy(() => {
          for (const p of ps) p.grad = randn(p.shape);
          opt.step();
          for (const p of ps) p.grad = null;
        });
        assert.equal(liveTensorCount(), afterConstruction, `step ${i + 1} kept no new tensors`);
      }
      assert.equal(opt.stateDict().tensors.size, perParam * ps.length);
    });
  });
}

test('SGD without momentum reserves nothing', () => {
  tidy(() => {
    const p = new Parameter(randn([5]));
    const before = liveTensorCount();
    new SGD([p], { lr: 0.1 });
    assert.equal(liveTensorCount(), before);
  });
});

test('a parameter converted after the optimizer was made gets state of its new dtype; the reserved tensor is freed', () => {
  tidy(() => {
    manualSeed(4);
    const layer = new Linear(3, 2);
    const opt = new SGD(layer.parameters(), { lr: 0.1, momentum: 0.9 });
    layer.to('float64');
    const afterConversion = liveTensorCount();
    tidy(() => {
      for (const p of layer.parameters()) p.grad = randn(p.shape, { dtype: 'float64' });
      opt.step();
    });
    for (const p of layer.parameters()) p.grad = null;
    assert.equal(liveTensorCount(), afterConversion, 'the float32 reservations were replaced, not kept beside the new state');
    for (const t of opt.stateDict().tensors.values()) assert.equal(t.dtype, 'float64');
  });
});

test('loading state fills the reserved tensors, also in an optimizer that has stepped', () => {
  tidy(() => {
    manualSeed(6);
    const ps = [new Parameter(randn([4, 3])), new Parameter(randn([4]))];
    const first = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    for (const p of ps) p.grad = randn(p.shape);
    first.step();
    const saved = first.stateDict();
    const second = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    const count = liveTensorCount();
    second.loadStateDict(saved);
    assert.equal(liveTensorCount(), count, 'loaded into the reserved tensors');
    const again = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    again.step();
    const afterStep = liveTensorCount();
    again.loadStateDict(saved);
    assert.equal(liveTensorCount(), afterStep, 'loaded into the tensors of its own state');
    for (const [k, t] of saved.tensors) {
      assert.deepEqual(second.stateDict().tensors.get(k)!.toArray(), t.toArray());
      assert.deepEqual(again.stateDict().tensors.get(k)!.toArray(), t.toArray());
    }
  });
});

test('an optimizer loads its own state (the tensors it holds) and steps on', () => {
  tidy(() => {
    manualSeed(8);
    const p = new Parameter(randn([3]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = randn([3]);
    opt.step();
    const before = opt.stateDict().tensors.get('0.momentum_buffer')!.toArray();
    opt.loadStateDict(opt.stateDict());
    assert.deepEqual(opt.stateDict().tensors.get('0.momentum_buffer')!.toArray(), before);
    opt.step();
  });
});
