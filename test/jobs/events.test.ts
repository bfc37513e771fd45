import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EvalEvents } from '../../src/jobs/events.js';
import { tempDir } from '../helpers/python.js';
import { readScalars } from '../helpers/tfevents.js';

const rec = (epoch: number, step: number) => ({ epoch, step, loss: 1 / epoch, lr: 0.1, train_top1: 50, seconds: 1 });

test('evaluation events: a rerun replaces the old event files; scores land at the last step; hparams flattened', () => {
  const out = tempDir('cvrl-evalevents-');
  mkdirSync(join(out, 'split2'));
  for (const f of [join(out, 'events.out.tfevents.1.old'), join(out, 'split2', 'events.out.tfevents.1.old')]) writeFileSync(f, 'stale');
  writeFileSync(join(out, 'metrics.json'), '{}');
  const ev = new EvalEvents(out, 'finetune', false);
  assert.deepEqual(readdirSync(out).sort(), ['metrics.json', 'split2']);
  assert.deepEqual(readdirSync(join(out, 'split2')), []);
  ev.epoch(undefined, rec(1, 4));
  ev.epoch(undefined, rec(2, 8));
  ev.finish(undefined, { top1: 75, top5: 100 }, { clip: { frames: 8 } });
  ev.close();
  const { scalars, hparamsTags } = readScalars(out);
  assert.deepEqual(scalars.filter((s) => s.tag === 'finetune/loss').map((s) => [s.step, s.value]), [[4, 1], [8, 0.5]]);
  assert.deepEqual(scalars.filter((s) => s.tag.startsWith('test/')).map((s) => [s.step, s.tag, s.value]), [[8, 'test/top1', 75], [8, 'test/top5', 100]]);
  assert.deepEqual(hparamsTags, ['_hparams_/session_start_info']);
});

test('evaluation events that cannot be written warn once and never stop the evaluation', () => {
  const root = tempDir('cvrl-evalevents-');
  const blocked = join(root, 'file');
  writeFileSync(blocked, 'not a directory');
  const lines: string[] = [];
  const ev = new EvalEvents(join(blocked, 'out'), 'linear-eval', true, (l) => lines.push(l));
  ev.epoch(1, rec(1, 1));
  ev.epoch(1, rec(2, 2));
  ev.finish(1, { top1: 1, top5: 2 }, {});
  ev.close();
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^linear-eval: TensorBoard events not written \(.*\); the evaluation continues$/);
});
