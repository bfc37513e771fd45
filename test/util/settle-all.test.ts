import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settleAll } from '../../src/util/settle-all.js';

const after = <T>(ms: number, v: T, fail = false) => new Promise<T>((resolve, reject) => setTimeout(() => (fail ? reject(new Error(String(v))) : resolve(v)), ms));

test('settleAll: values in order; on a failure every job has ended, the others are freed, the first error is thrown', async () => {
  assert.deepEqual(await settleAll([after(5, 1), after(1, 2)], () => assert.fail('nothing to free')), [1, 2]);
  const freed: number[] = [];
  let slowEnded = false;
  const slow = after(30, 3).then((v) => { slowEnded = true; return v; });
  await assert.rejects(settleAll([after(1, 1), after(2, 'first', true), slow, after(5, 'second', true)] as Promise<number>[], (v) => freed.push(v)), /^Error: first$/);
  assert.ok(slowEnded, 'a slow job ended before the error was thrown');
  assert.deepEqual(freed, [1, 3]);
});
