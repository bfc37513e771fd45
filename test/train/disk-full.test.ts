// A full disk (injected ENOSPC) during checkpoints, metrics and TensorBoard writes: training keeps
// going, each kind of failure is warned about once, checkpoints are retried, the last good one stays.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { synthesizeDataset } from '../../src/video/index.js';
import { resolveConfig } from '../../src/train/config.js';
import { pretrain } from '../../src/train/pretrain.js';
import { loadTrainCheckpoint } from '../../src/train/run-checkpoint.js';
import { maskedCrc } from '../../src/formats/tensorboard.js';
import { tempDir } from '../helpers/python.js';

const root = tempDir('cvrl-enospc-');
const data = join(root, 'data');
const base = { data, format: 'ucf101', annotations: join(data, 'annotations'), arch: 'r3d_18_tiny', frames: 2, stride: 2, size: 16, batch: 4, threads: 1, parallelism: 1, headHidden: 16, headOut: 8, lr: 1, checkpointEvery: 2, keepCheckpoints: 1, logEvery: 1, seed: 1 };
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

/** Writes to files whose path matches failing[kind] fail with ENOSPC (after writing half) on the calls numbered in calls[kind]. */
function fullDisk(failing: Record<string, RegExp>, calls: Record<string, number[]>) {
  const real = { openSync: fs.openSync, closeSync: fs.closeSync, writeSync: fs.writeSync, appendFileSync: fs.appendFileSync };
  const fds = new Map<number, string>();
  const count: Record<string, number> = {};
  const hit = (kind: string) => calls[kind].includes((count[kind] = (count[kind] ?? -1) + 1));
  const kindOf = (p: string) => Object.keys(failing).find((k) => failing[k].test(p));
  mock.method(fs, 'openSync', (p: fs.PathLike, ...rest: unknown[]) => {
    const fd = (real.openSync as (...a: unknown[]) => number)(p, ...rest);
    const k = kindOf(String(p));
    if (k) fds.set(fd, k);
    return fd;
  });
  mock.method(fs, 'closeSync', (fd: number) => { fds.delete(fd); real.closeSync(fd); });
  mock.method(fs, 'writeSync', (fd: number, buf: Uint8Array, off = 0, len = buf.length - off, ...rest: unknown[]) => {
    const k = fds.get(fd);
    if (k && hit(k)) {
      real.writeSync(fd, buf, off, Math.floor(len / 2));
      throw enospc();
    }
    return (real.writeSync as (...a: unknown[]) => number)(fd, buf, off, len, ...rest);
  });
  mock.method(fs, 'appendFileSync', (p: fs.PathOrFileDescriptor, d: string, ...rest: unknown[]) => {
    const k = kindOf(String(p));
    if (k && hit(k)) {
      real.appendFileSync(p, d.slice(0, d.length >> 1));
      throw enospc();
    }
    return (real.appendFileSync as (...a: unknown[]) => void)(p, d, ...rest);
  });
  syncBuiltinESMExports();
}

function restore(): void {
  mock.restoreAll();
  syncBuiltinESMExports();
}

function warnings(): string[] {
  const out: string[] = [];
  mock.method(console, 'warn', (m: string) => { out.push(String(m)); });
  return out;
}

function tfRecords(file: string): number {
  const bytes = fs.readFileSync(file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0, n = 0;
  while (off < bytes.length) {
    const len = Number(dv.getBigUint64(off, true));
    assert.equal(dv.getUint32(off + 8, true), maskedCrc(bytes.subarray(off, off + 8)), `record ${n} length CRC`);
    assert.equal(dv.getUint32(off + 12 + len, true), maskedCrc(bytes.subarray(off + 12, off + 12 + len)), `record ${n} data CRC`);
    off += 16 + len;
    n++;
  }
  return n;
}

/** A short run on the stubbed disk; the real fs comes back whatever happens. */
async function pretrainThenRestore(runDir: string, steps: number) {
  try {
    return await pretrain({ config: resolveConfig({ ...base, out: runDir, steps }), quiet: true });
  } finally {
    restore();
  }
}

test('ENOSPC in a checkpoint, a metrics append and a TensorBoard write: training goes on, one warning each, the checkpoint is retried', async () => {
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 2, videosPerClass: 4, frames: 8, size: 24 });
  const runDir = join(root, 'a');
  const warned = warnings();
  fullDisk({ checkpoint: /step-00000002\.safetensors\.tmp-|step-00000004\.safetensors\.tmp-/, metrics: /metrics\.jsonl$/, tensorboard: /tfevents/ }, { checkpoint: [0, 1], metrics: [0, 1], tensorboard: [1, 2] });
  const r = await pretrainThenRestore(runDir, 6);
  assert.equal(r.steps, 6);
  assert.equal(loadTrainCheckpoint(runDir).state.step, 6);
  assert.deepEqual(fs.readdirSync(join(runDir, 'checkpoints')), ['step-00000006.safetensors'], 'no temporaries left; keepCheckpoints 1');
  for (const kind of [/checkpoint/, /metrics\.jsonl/, /TensorBoard/]) assert.equal(warned.filter((w) => kind.test(w) && /no space/i.test(w)).length, 1, `${kind}: ${warned.join(' | ')}`);
  const lines = fs.readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
  const steps = lines.flatMap((l) => { try { return [(JSON.parse(l) as { step: number }).step]; } catch { return []; } });
  assert.deepEqual(steps, [3, 4, 5, 6], 'torn lines stay apart from the next ones');
  const events = fs.readdirSync(runDir).filter((n) => n.startsWith('events.'));
  // file_version, hparams, 6 steps' scalars, less the 2 failed writes
  assert.equal(tfRecords(join(runDir, events[0])), 2 + 6 - 2, 'failed records are cut back, the file stays readable');
});

test('a final checkpoint that cannot be written keeps the last good one and ends with a warning, not a stack trace', async () => {
  const runDir = join(root, 'b');
  const warned = warnings();
  fullDisk({ checkpoint: /step-00000004\.safetensors\.tmp-/ }, { checkpoint: [0, 1, 2, 3] });
  const r = await pretrainThenRestore(runDir, 4);
  assert.equal(r.steps, 4);
  assert.match(r.checkpoint, /step-00000002\.safetensors$/);
  assert.deepEqual(fs.readdirSync(join(runDir, 'checkpoints')), ['step-00000002.safetensors']);
  assert.ok(warned.some((w) => /step 4/.test(w) && /--resume/.test(w) && /step-00000002/.test(w)), warned.join(' | '));
});
