// Checkpoint directories left behind by crashes: empty checkpoints/, stale temporaries, metrics
// logged past the checkpoint a run resumes from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { synthesizeDataset } from '../../src/video/index.js';
import { resolveConfig } from '../../src/train/config.js';
import { pretrain } from '../../src/train/pretrain.js';
import { loadTrainCheckpoint } from '../../src/train/run-checkpoint.js';
import { writeAtomically } from '../../src/util/atomic-file.js';
import { tempDir } from '../helpers/python.js';

const root = tempDir('cvrl-ckpt-');
const data = join(root, 'data');
const base = { data, format: 'ucf101', annotations: join(data, 'annotations'), arch: 'r3d_18_tiny', frames: 2, stride: 2, size: 16, batch: 4, threads: 1, parallelism: 1, headHidden: 16, headOut: 8, lr: 1, steps: 2, checkpointEvery: 2, logEvery: 1, seed: 1 };
const steps = (runDir: string) => readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);

test('an empty checkpoints/ with a stale temporary does not block a fresh start; --resume there says there is nothing to resume', async () => {
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 2, videosPerClass: 4, frames: 8, size: 24 });
  const runDir = join(root, 'empty');
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  const stale = join(runDir, 'checkpoints', 'step-00000002.safetensors.tmp-999999');
  writeFileSync(stale, 'half a checkpoint');
  writeFileSync(join(runDir, 'metrics.jsonl'), '{"step":1,"loss":9}\n{"step":2,"lo');
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, out: runDir }), resume: true, quiet: true }), /nothing to resume.*start it afresh without --resume/s);
  const r = await pretrain({ config: resolveConfig({ ...base, out: runDir }), quiet: true });
  assert.equal(r.steps, 2);
  assert.ok(!existsSync(stale), 'stale temporary removed');
  assert.deepEqual(steps(runDir), [1, 2], 'metrics of the failed attempt are dropped');
});

test('resuming trims metrics.jsonl to the checkpoint step and marks the restart in TensorBoard (purge step)', async () => {
  const runDir = join(root, 'trim');
  await pretrain({ config: resolveConfig({ ...base, out: runDir, steps: 4 }), quiet: true });
  // A crash after logging steps 3-4 but before checkpointing step 4.
  unlinkSync(join(runDir, 'checkpoints', 'step-00000004.safetensors'));
  assert.equal(loadTrainCheckpoint(runDir).state.step, 2);
  const eventsBefore = new Set(readdirSync(runDir).filter((n) => n.startsWith('events.')));
  await new Promise((r) => setTimeout(r, 1100)); // a new events file name (one per second)
  await pretrain({ config: resolveConfig({ ...base, out: runDir, steps: 4 }), resume: true, quiet: true });
  assert.deepEqual(steps(runDir), [1, 2, 3, 4]);
  const fresh = readdirSync(runDir).filter((n) => n.startsWith('events.') && !eventsBefore.has(n));
  assert.equal(fresh.length, 1);
  // Event.session_log (field 7: key 0x3a) = SessionLog { status: START } at step 3 (Event.step = field 2).
  const bytes = readFileSync(join(runDir, fresh[0]));
  assert.ok(bytes.includes(Buffer.from([0x10, 0x03, 0x3a, 0x02, 0x08, 0x01])), 'SessionLog START at step 3');
});

test('temporary files are opened exclusively: an existing one is never overwritten or removed', () => {
  const file = join(root, 'x.bin');
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, 'someone else');
  assert.throws(() => writeAtomically(file, () => {}), /EEXIST/);
  assert.equal(readFileSync(tmp, 'utf8'), 'someone else');
  assert.ok(!existsSync(file));
});
