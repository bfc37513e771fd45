import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrSchedule, lrAt } from '../../src/optim/index.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('warm-up then cosine: linear ramp, peak, half-way, final value', () => {
  const s = { kind: 'warmup-cosine', lr: 0.32, warmupSteps: 10, totalSteps: 110 } as const;
  close(lrAt(s, 0), 0);
  close(lrAt(s, 5), 0.16);
  close(lrAt(s, 10), 0.32);
  close(lrAt(s, 60), 0.16);
  close(lrAt(s, 110), 0);
  close(lrAt(s, 500), 0);
  close(lrAt({ ...s, finalLr: 0.01, warmupStartLr: 0.02 }, 0), 0.02);
  close(lrAt({ ...s, finalLr: 0.01 }, 110), 0.01);
  for (let i = 11; i < 110; i++) assert.ok(lrAt(s, i) < lrAt(s, i - 1), 'cosine decreases');
});

test('step, multistep and constant schedules', () => {
  close(lrAt({ kind: 'step', lr: 1, stepSize: 3, gamma: 0.5 }, 2), 1);
  close(lrAt({ kind: 'step', lr: 1, stepSize: 3, gamma: 0.5 }, 3), 0.5);
  close(lrAt({ kind: 'step', lr: 1, stepSize: 3, gamma: 0.5 }, 7), 0.25);
  close(lrAt({ kind: 'multistep', lr: 1, milestones: [2, 5] }, 4), 0.1);
  close(lrAt({ kind: 'multistep', lr: 1, milestones: [2, 5] }, 5), 0.01);
  close(lrAt({ kind: 'constant', lr: 0.3 }, 1e6), 0.3);
});

test('schedule state round-trips and bad specs are rejected', () => {
  const a = new LrSchedule({ kind: 'warmup-cosine', lr: 1, warmupSteps: 2, totalSteps: 10 });
  for (let i = 0; i < 4; i++) a.step();
  const b = new LrSchedule(a.spec);
  b.loadState(JSON.parse(JSON.stringify(a.state())));
  assert.equal(b.currentStep, 4);
  assert.equal(b.step(), a.step());
  assert.throws(() => new LrSchedule({ kind: 'warmup-cosine', lr: 1, warmupSteps: 5, totalSteps: 2 }), /totalSteps/);
  assert.throws(() => new LrSchedule({ kind: 'step', lr: 1, stepSize: 0 }), /stepSize/);
  assert.throws(() => b.loadState({ step: -1 }), /non-negative/);
});
