import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoaderWatch, loaderAdvice } from '../../src/train/loader-watch.js';

/** Feeds steps first..last with `waitMs` and `computeMs` per step; returns the warnings by step. */
function feed(w: LoaderWatch, steps: { first: number; last: number; epochOf: (s: number) => number; waitMs: (s: number) => number; computeMs: number }, totals = { wait: 0, compute: 0 }): Map<number, string> {
  const out = new Map<number, string>();
  for (let s = steps.first; s <= steps.last; s++) {
    totals.wait += steps.waitMs(s);
    totals.compute += steps.computeMs;
    const m = w.update(s, steps.epochOf(s), totals.wait, totals.compute);
    if (m) out.set(s, m);
  }
  return out;
}

test('loader watch: a window that waits above the threshold warns once, naming the steps, the share and the advice', () => {
  const w = new LoaderWatch('ADVICE', 10, 0.2);
  // Epoch 0 (steps 1-5) waits 90%: the frame cache filling, not counted. Then 30% from step 21.
  const got = feed(w, { first: 1, last: 60, epochOf: (s) => (s <= 5 ? 0 : 1), waitMs: (s) => (s <= 5 ? 900 : s > 20 ? 30 : 5), computeMs: 70 });
  assert.deepEqual([...got.keys()], [26], 'the first full window after step 20 is 17-26 (mark at 6, 16 below)');
  assert.match(got.get(26)!, /^warning: the data loader sets the pace: steps 17-26 waited for their batches 2\d% of the time\. ADVICE$/);
});

test('loader watch: below the threshold, or within the first epoch and 4 windows, nothing', () => {
  const low = new LoaderWatch('A', 10, 0.2);
  assert.equal(feed(low, { first: 1, last: 200, epochOf: (s) => Math.floor(s / 7), waitMs: () => 15, computeMs: 85 }).size, 0, '15% waits');
  // One long first epoch: windows count only after step 41 (4 windows of 10), so a slow start is forgiven.
  const long = new LoaderWatch('A', 10, 0.2);
  const got = feed(long, { first: 1, last: 100, epochOf: () => 0, waitMs: (s) => (s <= 40 ? 500 : 10), computeMs: 90 });
  assert.equal(got.size, 0);
  // A resumed run counts from the step it resumed at.
  const resumed = new LoaderWatch('A', 10, 0.2);
  const r = feed(resumed, { first: 301, last: 400, epochOf: () => 5, waitMs: () => 50, computeMs: 50 });
  assert.deepEqual([...r.keys()], [351], 'marked at 341 (4 windows after 301): the first window is 342-351');
  assert.match(r.get(351)!, /steps 342-351 waited for their batches 50% /);
});

test('loader advice names each knob with its value and the cores', () => {
  const a = loaderAdvice({ parallelism: 4, prefetch: 2, frameCacheMb: 1024, threads: 2 }, 8, 'workers');
  for (const s of ['--parallelism, now 4', '--prefetch, now 2', '--frame-cache-mb, now 1024', '--decode-short-side', "this machine's 8 cores with the 2 compute threads"]) assert.ok(a.includes(s), s);
  assert.ok(!a.includes('--augment-on'), 'workers: the augmentation is not in the wait');
  const step = loaderAdvice({ parallelism: 4, prefetch: 2, frameCacheMb: 1024, threads: 2 }, 8, 'step');
  assert.ok(step.startsWith(a) && step.includes("each batch's augmentation on the compute threads (--augment-on step)") && step.includes('--augment-on workers'), step);
});
