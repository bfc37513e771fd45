import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { randn, tidy } from '../../src/torch/index.js';

test('BLAS worker threads go to sleep after a matrix product instead of spinning (OPENBLAS_THREAD_TIMEOUT)', async (t) => {
  if (process.env.OPENBLAS_THREAD_TIMEOUT !== '4') return t.skip(`OPENBLAS_THREAD_TIMEOUT was set to ${process.env.OPENBLAS_THREAD_TIMEOUT} before cvrl loaded`);
  tidy(() => {
    // Batched, because 2-D float32 products run on oneDNN (native/onednn_matmul.cc) and never reach
    // OpenBLAS; large enough for OpenBLAS to use its worker threads.
    const a = randn([2, 512, 512]);
    for (let i = 0; i < 3; i++) a.matmul(a);
  });
  const before = process.cpuUsage();
  await sleep(300);
  const used = process.cpuUsage(before);
  const ms = (used.user + used.system) / 1000;
  // A worker spinning on sched_yield for its default 2^28 cycles burns a large share of this window.
  assert.ok(ms < 40, `${ms.toFixed(0)} ms of CPU used in 300 ms of idling after a matrix product`);
});
