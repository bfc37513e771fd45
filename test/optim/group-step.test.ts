// SGD and LARS update a whole parameter group in one native call (native/optim_steps.cc) once their
// momentum buffers exist: the same ATen ops as their per-parameter TypeScript updates, so the same bits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, manualSeed, tidy, zerosLike, type Tensor } from '../../src/torch/index.js';
import { Parameter } from '../../src/nn/index.js';
import { SGD, LARS, type Optimizer } from '../../src/optim/index.js';

interface Ref { p: Tensor; buf: Tensor | null }
type RefUpdate = (r: Ref, grad: Tensor, group: number) => void;

/** The per-parameter updates of src/optim/sgd.ts and lars.ts, op for op. */
function sgdRef(h: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }[]): RefUpdate {
  return (r, grad, gi) => {
    const o = h[gi];
    let d = o.weightDecay ? grad.add(r.p, o.weightDecay) : grad;
    if (o.momentum) {
      if (!r.buf) r.buf = d.clone().keep();
      else r.buf.mul_(o.momentum).add_(d, 1 - o.dampening);
      d = o.nesterov ? d.add(r.buf, o.momentum) : r.buf;
    }
    r.p.sub_(d, o.lr);
  };
}
function larsRef(h: { lr: number; momentum: number; weightDecay: number; trustCoefficient: number; eps: number; nesterov: boolean }[]): RefUpdate {
  return (r, grad, gi) => {
    const o = h[gi];
    let g = grad, lr = o.lr;
    if (r.p.ndim > 1) {
      if (o.weightDecay) g = grad.add(r.p, o.weightDecay);
      const wn = r.p.norm().item(), gn = g.norm().item();
      lr = o.lr * (wn > 0 && gn > 0 ? (o.trustCoefficient * wn) / (gn + o.eps) : 1);
    }
    r.buf ??= zerosLike(r.p).keep();
    r.buf.mul_(o.momentum).add_(g, lr);
    if (o.nesterov) r.p.sub_(r.buf, o.momentum).sub_(g, lr);
    else r.p.sub_(r.buf);
  };
}

/** Two groups of a conv weight, a matrix and a bias; 4 steps (one parameter without a gradient in step 2); params and buffers compared exactly. */
function compare(name: string, make: (groups: { params: Parameter[] }[]) => Optimizer<{ lr: number }>, ref: RefUpdate): void {
  tidy(() => {
    manualSeed(17);
    const shapes = [[[8, 3, 3, 3, 3], [8]], [[16, 8], [16]]];
    const init = shapes.map((g) => g.map((s) => randn(s).mul(0.5)));
    const groups = init.map((g) => ({ params: g.map((t) => new Parameter(t.clone())) }));
    const refs: Ref[][] = init.map((g) => g.map((t) => ({ p: t.clone(), buf: null })));
    const opt = make(groups);
    for (let step = 0; step < 4; step++) {
      groups.forEach((g, gi) => g.params.forEach((p, k) => {
        const grad = randn(p.shape);
        if (step === 2 && gi === 1 && k === 1) return void (p.grad = null);
        p.grad = grad;
        ref(refs[gi][k], grad, gi);
      }));
      opt.step();
      opt.zeroGrad();
    }
    const state = opt.stateDict().tensors;
    groups.flatMap((g) => g.params).forEach((p, i) => {
      const r = refs.flat()[i];
      assert.equal(p.sub(r.p).abs().amax().item(), 0, `${name}: parameter ${i}`);
      if (r.buf) assert.equal(state.get(`${i}.momentum_buffer`)!.sub(r.buf).abs().amax().item(), 0, `${name}: momentum buffer ${i}`);
    });
    refs.flat().forEach((r) => r.buf?.dispose());
  });
}

test('SGD and LARS group steps give the bits of their per-parameter updates', () => {
  const sgd = [
    { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: false },
    { lr: 8, momentum: 0.9, dampening: 0.1, weightDecay: 0, nesterov: false },
    { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: true },
    { lr: 0.02, momentum: 0, dampening: 0, weightDecay: 1e-3, nesterov: false },
  ];
  for (const [i, h] of sgd.entries()) {
    const per = [h, { ...h, lr: h.lr / 2 }];
    compare(`sgd ${i}`, (groups) => new SGD(groups.map((g, gi) => ({ params: g.params, options: per[gi] })), per[0]), sgdRef(per));
  }
  const lars = [
    { lr: 0.3, momentum: 0.9, weightDecay: 1e-6, trustCoefficient: 0.001, eps: 0, nesterov: false },
    { lr: 2, momentum: 0.9, weightDecay: 0, trustCoefficient: 0.02, eps: 1e-8, nesterov: true },
  ];
  for (const [i, h] of lars.entries()) {
    const per = [h, { ...h, lr: h.lr / 3 }];
    compare(`lars ${i}`, (groups) => new LARS(groups.map((g, gi) => ({ params: g.params, options: per[gi] })), per[0]), larsRef(per));
  }
});
