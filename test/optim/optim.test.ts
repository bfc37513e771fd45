// Optimisers against torch.optim (SGD, AdamW) and SimCLR's LARS formula; state save/restore; clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randn, manualSeed, tidy, Tensor, tensor } from '../../src/torch/index.js';
import { Parameter, saveSafetensors, loadSafetensors } from '../../src/nn/index.js';
import { SGD, LARS, AdamW, Optimizer, clipGradNorm, clipGradValue, weightDecayGroups } from '../../src/optim/index.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

const skip = !torchAvailable() && 'python3-torch missing';

/** Parameters w [4,3] and b [4]; three steps with fixed gradient sequences. */
function run(make: (ps: Parameter[]) => Optimizer<{ lr: number }>, w0: Tensor, b0: Tensor, grads: Tensor[][]): Parameter[] {
  const ps = [new Parameter(w0.clone()), new Parameter(b0.clone())];
  const opt = make(ps);
  for (const [gw, gb] of grads) {
    ps[0].grad = gw.clone();
    ps[1].grad = gb.clone();
    opt.step();
  }
  return ps;
}

test('SGD (momentum, nesterov, dampening, weight decay) and AdamW match torch.optim; LARS matches the SimCLR formula', { skip }, () => {
  const dir = tempDir();
  tidy(() => {
    manualSeed(5);
    const w0 = randn([4, 3]), b0 = randn([4]);
    const grads = [0, 1, 2].map(() => [randn([4, 3]), randn([4])]);
    const configs: [string, (ps: Parameter[]) => Optimizer<{ lr: number }>][] = [
      ['sgd', (ps) => new SGD(ps, { lr: 0.1 })],
      ['sgd_mom', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 })],
      ['sgd_nest', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
      ['sgd_damp', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, dampening: 0.3 })],
      ['adamw', (ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.1, beta1: 0.8, beta2: 0.95, eps: 1e-6 })],
      ['lars', (ps) => new LARS(ps, { lr: 0.5, momentum: 0.9, weightDecay: 1e-2, trustCoefficient: 0.001 })],
    ];
    const sd = new Map<string, Tensor>([['w0', w0], ['b0', b0]]);
    grads.forEach(([gw, gb], i) => { sd.set(`gw${i}`, gw); sd.set(`gb${i}`, gb); });
    const ours = new Map<string, Parameter[]>();
    for (const [name, make] of configs) ours.set(name, run(make, w0, b0, grads));
    saveSafetensors(join(dir, 'in.safetensors'), sd);
    runPython(`
t, _ = st_ref.load(os.path.join(DIR, 'in.safetensors'))
def run(make):
    ps = [torch.nn.Parameter(t['w0'].clone()), torch.nn.Parameter(t['b0'].clone())]
    opt = make(ps)
    for i in range(3):
        ps[0].grad = t[f'gw{i}'].clone(); ps[1].grad = t[f'gb{i}'].clone()
        opt.step()
    return ps
def lars(ps, lr=0.5, m=0.9, wd=1e-2, eta=0.001):
    # SimCLR's LARS: decay and trust ratio only for >1-D tensors; v = m v + lr_scaled g; p -= v
    vs = [torch.zeros_like(p) for p in ps]
    for i in range(3):
        with torch.no_grad():
            for k, (p, g) in enumerate(zip(ps, [t[f'gw{i}'], t[f'gb{i}']])):
                scaled = lr
                if p.dim() > 1:
                    g = g + wd * p
                    wn, gn = p.norm(), g.norm()
                    scaled = lr * float(eta * wn / gn) if wn > 0 and gn > 0 else lr
                vs[k] = m * vs[k] + scaled * g
                p -= vs[k]
    return ps
res = {
  'sgd': run(lambda ps: torch.optim.SGD(ps, lr=0.1)),
  'sgd_mom': run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
  'sgd_nest': run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
  'sgd_damp': run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3)),
  'adamw': run(lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1, betas=(0.8, 0.95), eps=1e-6)),
  'lars': lars([t['w0'].clone(), t['b0'].clone()]),
}
out = {}
for k, (w, b) in res.items():
    out[f'{k}.w'] = w.detach(); out[f'{k}.b'] = b.detach()
st_ref.save(out, os.path.join(DIR, 'out.safetensors'))
`, dir);
    const ref = loadSafetensors(join(dir, 'out.safetensors')).tensors;
    for (const [name, [w, b]] of ours) {
      const dw = w.sub(ref.get(`${name}.w`)!).abs().amax().item();
      const db = b.sub(ref.get(`${name}.b`)!).abs().amax().item();
      assert.ok(dw < 1e-6 && db < 1e-6, `${name}: max diff w ${dw}, b ${db}`);
      assert.ok(w.sub(w0).abs().amax().item() > 1e-4, `${name} moved the weights`);
    }
  });
});

test('optimizer state save and restore continues identically', () => {
  const dir = tempDir();
  tidy(() => {
    manualSeed(9);
    const w0 = randn([5, 2]), b0 = randn([5]);
    const grads = [0, 1, 2, 3, 4].map(() => [randn([5, 2]), randn([5])]);
    for (const make of [
      (ps: Parameter[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
      (ps: Parameter[]) => new AdamW(ps, { lr: 0.01 }),
      (ps: Parameter[]) => new LARS(ps, { lr: 0.3, weightDecay: 1e-4 }),
    ]) {
      const straight = run(make, w0, b0, grads);
      // Interrupted: 3 steps, save (via a safetensors file), restore into a fresh optimizer, 2 more steps.
      const ps = [new Parameter(w0.clone()), new Parameter(b0.clone())];
      const first = make(ps);
      const step = (opt: Optimizer<{ lr: number }>, i: number) => { ps[0].grad = grads[i][0].clone(); ps[1].grad = grads[i][1].clone(); opt.step(); };
      for (let i = 0; i < 3; i++) step(first, i);
      const state = first.stateDict();
      const f = join(dir, 'opt.safetensors');
      saveSafetensors(f, state.tensors, { meta: JSON.stringify(state.meta) });
      const loaded = loadSafetensors(f);
      const second = make(ps);
      second.loadStateDict({ tensors: loaded.tensors, meta: JSON.parse(loaded.metadata.meta) });
      assert.equal(second.steps, 3);
      for (let i = 3; i < 5; i++) step(second, i);
      assert.deepEqual(ps[0].toArray(), straight[0].toArray());
      assert.deepEqual(ps[1].toArray(), straight[1].toArray());
    }
  });
});

test('loading mismatched optimizer state is rejected with a clear error', () => {
  tidy(() => {
    const p = new Parameter(randn([3]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = randn([3]);
    opt.step();
    const other = new SGD([new Parameter(randn([4]))], { lr: 0.1, momentum: 0.9 });
    assert.throws(() => other.loadStateDict(opt.stateDict()), /has shape \[3\] but the parameter has \[4\]/);
    assert.throws(() => new SGD([p], { lr: -1 }), /must be >= 0/);
    assert.throws(() => new SGD([p, p], { lr: 1 }), /more than one optimizer group/);
  });
});

test('weight decay groups separate kernels from biases and norm parameters', () => {
  tidy(() => {
    const k = new Parameter(randn([4, 3, 3])), b = new Parameter(randn([4])), g = new Parameter(randn([4]));
    const groups = weightDecayGroups([['conv.weight', k], ['conv.bias', b], ['bn.weight', g]], 1e-6);
    assert.deepEqual(groups.map((x) => [x.params.length, x.options.weightDecay]), [[1, 1e-6], [2, 0]]);
    const opt = new SGD(groups, { lr: 0.1, momentum: 0.9 });
    assert.equal(opt.groups[0].options.weightDecay, 1e-6);
    assert.equal(opt.groups[1].options.weightDecay, 0);
  });
});

test('gradient clipping by norm and by value', () => {
  tidy(() => {
    const a = new Parameter(randn([3])), b = new Parameter(randn([2]));
    a.grad = tensor([3, 0, 0]);
    b.grad = tensor([0, 4]);
    const total = clipGradNorm([a, b], 1);
    assert.ok(Math.abs(total - 5) < 1e-6);
    const n = Math.hypot(...a.grad!.toArray(), ...b.grad!.toArray());
    assert.ok(Math.abs(n - 1) < 1e-5, `clipped norm ${n}`);
    clipGradValue([a], 0.1);
    assert.deepEqual(a.grad!.toArray().map((x) => Math.round(x * 1e6) / 1e6), [0.1, 0, 0]);
    assert.ok(Math.abs(clipGradNorm([a, b], 100) - Math.hypot(0.1, 0.8)) < 1e-5, 'no scaling below the limit');
  });
});
