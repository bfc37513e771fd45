// Distributed training over c10d/Gloo on localhost: collectives, the global-batch NT-Xent and its
// summed gradients against a single process, a 2-rank pre-training run, the launcher and env checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { randn, manualSeed, cat } from '../../src/torch/index.js';
import { ntXent } from '../../src/ssl/ntxent.js';
import { distributedEnv, initDistributed } from '../../src/train/distributed.js';
import { freePort, launchLocal } from '../../src/train/launch.js';
import { synthesizeDataset } from '../../src/video/index.js';
import { tempDir } from '../helpers/python.js';
import { type ListeningSocket } from '../helpers/sockets.js';
import { syncBnStep } from './fixtures/syncbn-case.js';
import { loadSafetensors } from '../../src/nn/safetensors.js';
import { ProcessGroup } from '../../src/torch/distributed.js';
import { tmpdir } from 'node:os';
import { pretrain } from '../../src/train/pretrain.js';
import { resolveConfig } from '../../src/train/config.js';
import { loadTrainCheckpoint } from '../../src/train/run-checkpoint.js';

interface Run { code: number | null; stdout: string; stderr: string }

function runProcess(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Starts `world` processes with torchrun's variables, as an external launcher would. */
async function runRanks(args: (rank: number) => string[], world: number, env: Record<string, string> = {}): Promise<Run[]> {
  const port = await freePort();
  const runs = await Promise.all(Array.from({ length: world }, (_, rank) =>
    runProcess(args(rank), { ...env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) })));
  for (const [rank, r] of runs.entries()) assert.equal(r.code, 0, `rank ${rank} failed:\n${r.stderr}`);
  return runs;
}

const worker = (...a: string[]) => () => ['--import', 'tsx', 'test/train/fixtures/dist-worker.ts', ...a];
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!) as Record<string, unknown>;

function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i])));
  assert.ok(worst <= tol, `${what}: max |difference| ${worst} > ${tol}`);
}

test('two ranks: allReduce sums in place, allGather concatenates in rank order, broadcast copies the root, mismatches are errors', async () => {
  const runs = await runRanks(worker('collectives'), 2);
  for (const [rank, run] of runs.entries()) {
    const o = lastJson(run.stdout);
    assert.equal(o.rank, rank);
    // rank r contributes [r+1]*3, arange(4)*(r+1), [r+0.5]*2 (float64), [10r, 1] (int64).
    assert.deepEqual(o.allReduce, [[3, 3, 3], [0, 3, 6, 9], [2, 2], [10, 2]]);
    assert.deepEqual(o.allGather, { shape: [3, 2], values: [0, 0, 1, 1, 1, 1] });
    assert.deepEqual(o.broadcast, { root0: [[7, 7, 7, 7, 7, 7], [0, 0, 0, 0]], rootLast: [101, 101] });
    assert.match(String(o.mismatch), /sent shape \[1, \d\] but this rank has \[1, \d\]/);
  }
});

/** Single process: ntXent on the whole batch with the same seeded data as the workers. */
function reference(rho: number, world: number, n: number, din: number, d: number, tau: number, k = 0) {
  manualSeed(11);
  const x = randn([rho + k, world * n, din]).requiresGrad_();
  const weight = randn([din, d]).requiresGrad_();
  const negatives = k > 0 ? cat(Array.from({ length: k }, (_, j) => x.select(0, rho + j)), 0).matmul(weight) : undefined;
  const loss = ntXent(Array.from({ length: rho }, (_, v) => x.select(0, v).matmul(weight)), { temperature: tau, negatives });
  loss.backward();
  return { loss: loss.item(), xGrad: x.grad!, weightGrad: weight.grad!.toArray() };
}

for (const [rho, world, n, k] of [[2, 3, 3, 0], [3, 2, 2, 0], [2, 2, 2, 2]] as const) {
  test(`global-batch NT-Xent on ${world} ranks (rho ${rho}, ${n} videos each, ${k} extra negatives each) equals one process on the whole batch: loss and summed gradients`, async () => {
    const [din, d, tau] = [5, 4, 0.2];
    const runs = (await runRanks(worker('ntxent', String(rho), String(n), String(din), String(d), String(tau), String(k)), world)).map((r) => lastJson(r.stdout));
    const ref = reference(rho, world, n, din, d, tau, k);
    for (const o of runs) {
      const rank = o.rank as number;
      assert.ok(Math.abs((o.loss as number) - ref.loss) <= 1e-5, `rank ${rank}: loss ${o.loss} vs ${ref.loss}`);
      // The all-reduced (summed) weight gradient is the whole batch's gradient...
      assertClose(o.weightGrad as number[], ref.weightGrad, 1e-5, `rank ${rank} summed weight gradient`);
      // ...and each rank's input gradients are the whole batch's gradients of its own rows.
      for (let v = 0; v < rho; v++) {
        assertClose((o.inputGrads as number[][])[v], ref.xGrad.select(0, v).narrow(0, rank * n, n).toArray(), 1e-5, `rank ${rank} view ${v} input gradient`);
      }
    }
    // A rank's own gradient is only its share: the claim needs the SUM (a mean would be 1/W of it).
    const local = runs.map((o) => o.localWeightGrad as number[]);
    assert.ok(local.every((g) => Math.max(...g.map((x, i) => Math.abs(x - ref.weightGrad[i]))) > 1e-4), 'a single rank alone already had the full gradient');
    assertClose(local[0].map((_, i) => local.reduce((s, g) => s + g[i], 0)), ref.weightGrad, 1e-5, 'sum of local gradients');
  });
}

test('torchrun variables: unset or WORLD_SIZE=1 is a single process; malformed values name the variable', async () => {
  assert.deepEqual(distributedEnv({}), { rank: 0, worldSize: 1, localRank: 0, masterAddr: '127.0.0.1', masterPort: 29500 });
  assert.equal((await initDistributed({ WORLD_SIZE: '1', RANK: '0' })).group, undefined);
  assert.deepEqual(distributedEnv({ WORLD_SIZE: '4', RANK: '3' }), { rank: 3, worldSize: 4, localRank: 3, masterAddr: '127.0.0.1', masterPort: 29500 });
  assert.deepEqual(distributedEnv({ WORLD_SIZE: '4', RANK: '3', LOCAL_RANK: '1', MASTER_ADDR: '10.0.0.2', MASTER_PORT: '1234' }), { rank: 3, worldSize: 4, localRank: 1, masterAddr: '10.0.0.2', masterPort: 1234 });
  assert.throws(() => distributedEnv({ WORLD_SIZE: 'two', RANK: '0' }), /WORLD_SIZE must be an integer >= 1, got 'two'/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '0' }), /WORLD_SIZE must be an integer >= 1/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '2' }), /RANK is not set/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '2', RANK: '-1' }), /RANK must be an integer >= 0, got '-1'/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '2', RANK: '2' }), /RANK must be < WORLD_SIZE \(2\)/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '2', RANK: '1', MASTER_PORT: '80a' }), /MASTER_PORT must be an integer/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '2', RANK: '1', MASTER_PORT: '70000' }), /MASTER_PORT must be a TCP port/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: '2', RANK: '1', LOCAL_RANK: 'x' }), /LOCAL_RANK must be an integer/);
});

const root = tempDir('cvrl-dist-');
const data = join(root, 'data');
const base = { data, format: 'ucf101', annotations: join(data, 'annotations'), arch: 'r3d_18_tiny', frames: 4, stride: 2, size: 32, batch: 4, threads: 2, parallelism: 2, headHidden: 32, headOut: 16, lr: 4, steps: 4, checkpointEvery: 2, logEvery: 1, seed: 5 };
const flags = (o: Record<string, unknown>) => Object.entries(o).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`)}`, String(v)]);
const cli = (...a: string[]) => ['bin/cvrl.js', 'pretrain', ...a];

test('a 2-rank pre-training run: ranks end with identical parameters, only rank 0 writes run files', async () => {
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 3, videosPerClass: 8, frames: 16, size: 40 });
  // Each rank gets its own --out: whatever appears in rank 1's directory was written by rank 1.
  const runs = await runRanks((rank) => cli(...flags({ ...base, threads: 1, out: join(root, `ext-${rank}`) }), '--quiet'), 2);
  const [r0, r1] = runs.map((r) => lastJson(r.stdout));
  assert.equal(r0.rank, 0);
  assert.equal(r1.rank, 1);
  assert.equal(r0.steps, 4);
  assert.equal(r1.steps, 4);
  assert.match(String(r0.parameterDigest), /^[0-9a-f]{64}$/);
  assert.equal(r1.parameterDigest, r0.parameterDigest, 'parameters differ between ranks');
  assert.equal(r1.finalLoss, r0.finalLoss, 'the logged (global) loss differs between ranks');
  assert.ok(!existsSync(join(root, 'ext-1')), 'rank 1 wrote into its --out directory');
  const run0 = join(root, 'ext-0');
  assert.deepEqual(readdirSync(join(run0, 'checkpoints')).sort(), ['step-00000002.safetensors', 'step-00000004.safetensors']);
  const metrics = readFileSync(join(run0, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number });
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4]);
  assert.ok(metrics.every((m) => Number.isFinite(m.loss)));
  // The loss covers the global batch of 8 videos: an untrained model sits near chance, 2 ln(2*8 - 1).
  assert.ok(metrics[0].loss > 2 * Math.log(15) - 1, `first loss ${metrics[0].loss}`);
  const config = JSON.parse(readFileSync(join(run0, 'config.json'), 'utf8')) as { resolved: { worldSize: number; effectiveBatch: number; lr: number } };
  assert.equal(config.resolved.worldSize, 2);
  assert.equal(config.resolved.effectiveBatch, 8);
  assert.ok(Math.abs(config.resolved.lr - (4 * 8) / 1024) < 1e-12);
  // One process takes over the run when the global batch stays 8 (step k takes the same videos); else the refusal says how.
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, threads: 1, out: run0, steps: 6 }), resume: true, quiet: true }), /cannot resume with a different global batch \(batch x world size: 4 x 2 -> 4 x 1\): the global batch must stay 8; on 1 process\(es\) pass --batch 8/);
  const taken = join(root, 'ext-0-on-1');
  cpSync(run0, taken, { recursive: true });
  const one = await pretrain({ config: resolveConfig({ ...base, threads: 1, out: taken, steps: 6, batch: 8 }), resume: true, quiet: true });
  assert.equal(one.steps, 6);
  assert.deepEqual(readFileSync(join(taken, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step), [1, 2, 3, 4, 5, 6]);
  assert.equal(loadTrainCheckpoint(taken).state.worldSize, 1);
});

test('cvrl pretrain --nproc 2 launches its own workers and finishes; a malformed WORLD_SIZE or RANK is named', async () => {
  const out = join(root, 'nproc');
  const r = await runProcess(cli(...flags({ ...base, out }), '--nproc', '2', '--quiet'), {});
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'only rank 0 prints its result');
  const res = JSON.parse(lines[0]) as { rank: number; worldSize: number; steps: number };
  assert.deepEqual([res.rank, res.worldSize, res.steps], [0, 2, 4]);
  assert.ok(existsSync(join(out, 'checkpoints', 'step-00000004.safetensors')));
  // Same config, seed and per-worker threads as the externally launched run: the same losses.
  const losses = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
  assert.deepEqual(losses(out), losses(join(root, 'ext-0')));
  // With synchronised BatchNorm the ranks still end identical, and the losses change (global statistics).
  const synced = await runProcess(cli(...flags({ ...base, out: join(root, 'nproc-syncbn'), syncBn: true }), '--nproc', '2', '--quiet'), {});
  assert.equal(synced.code, 0, synced.stderr);
  assert.notDeepEqual(losses(join(root, 'nproc-syncbn')), losses(out));
  for (const [env, name] of [[{ WORLD_SIZE: 'abc', RANK: '0' }, 'WORLD_SIZE'], [{ WORLD_SIZE: '2', RANK: 'first' }, 'RANK']] as const) {
    const bad = await runProcess(cli(...flags({ ...base, out: join(root, 'bad') }), '--quiet'), env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`${name} must be an integer`));
  }
});

test('the launcher fails the whole job when one worker dies, naming it, and stops the others', async () => {
  const script = join(root, 'worker.mjs');
  writeFileSync(script, `if (process.env.RANK === '1') setTimeout(() => process.exit(3), 300); else setTimeout(() => {}, 60000);\n`);
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await launchLocal({ nproc: 2, args: [script], execArgv: [], log: (l) => lines.push(l), killGraceSec: 5 });
  assert.equal(r.exitCode, 3);
  assert.equal(r.failure?.rank, 1);
  assert.match(lines.join('\n'), /worker rank 1 \(pid \d+\) exited with code 3; stopping the other 1 worker/);
  assert.ok(Date.now() - t0 < 10_000, 'rank 0 was not stopped');
});

test('a local launch rendezvouses through a private file: no rank listens off loopback (a TCPStore launch does, on rank 0)', async () => {
  const dir = tempDir('cvrl-sockets-');
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('cvrl-rendezvous-')));
  const r = await launchLocal({ nproc: 2, args: ['test/train/fixtures/dist-worker.ts', 'sockets'], execArgv: ['--import', 'tsx'], env: { DIST_OUT: dir }, log: () => {} });
  assert.equal(r.exitCode, 0, r.failure?.message);
  for (const rank of [0, 1]) {
    const o = JSON.parse(readFileSync(join(dir, `rank-${rank}.json`), 'utf8')) as { listening: ListeningSocket[] };
    assert.deepEqual(o.listening.filter((s) => !s.loopback), [], `rank ${rank} listens off loopback`);
  }
  assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith('cvrl-rendezvous-') && !before.has(f)), [], 'the rendezvous directory was left behind');
  // Without the file, c10d's TCPStore on rank 0 listens on every address: the check above can see it.
  const ext = await runRanks(worker('sockets'), 2);
  const store = (lastJson(ext[0].stdout).listening as ListeningSocket[]).filter((s) => !s.loopback);
  assert.ok(store.length > 0, 'expected the TCPStore to listen on a wildcard address');
});

test('ranks started with different data or config stop at start-up within seconds, naming the difference', async () => {
  const [fewer, more] = [join(root, 'data-24'), join(root, 'data-30')];
  await synthesizeDataset({ out: fewer, format: 'ucf101', classes: 3, videosPerClass: 8, frames: 16, size: 40 });
  await synthesizeDataset({ out: more, format: 'ucf101', classes: 3, videosPerClass: 10, frames: 16, size: 40 });
  const port = await freePort();
  const t0 = Date.now();
  const runs = await Promise.all([0, 1].map((rank) => {
    const d = rank === 0 ? fewer : more;
    const args = cli(...flags({ ...base, threads: 1, data: d, annotations: join(d, 'annotations'), lr: rank === 0 ? 4 : 8, out: join(root, `mismatch-${rank}`) }), '--quiet');
    return runProcess(args, { RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }, 120_000);
  }));
  const seconds = (Date.now() - t0) / 1000;
  for (const [rank, run] of runs.entries()) {
    assert.equal(run.code, 1, `rank ${rank}: ${run.stderr}`);
    assert.match(run.stderr, /ranks disagree on the number of videos: rank 0 has 18, rank 1 has 24/);
    assert.match(run.stderr, /the video list \(paths under --data and labels\): rank 1 differs from rank 0;/);
    assert.match(run.stderr, /config key lr: rank 1 differs from rank 0 \(this rank: [48]\)/);
  }
  assert.ok(seconds < 60, `took ${seconds} s`);
});

test('a rank that vanishes fails its peer\'s next collective within seconds, without a launcher', async () => {
  const runs = await runRanks(worker('peer-dies'), 2);
  const o = lastJson(runs[0].stdout) as { error: string; seconds: number };
  assert.notEqual(o.error, 'no error');
  assert.match(o.error, /allReduce \(rank 0\)/);
  assert.ok(o.seconds < 20, `the collective failed after ${o.seconds} s`);
});

test('collectives do not queue behind a libuv pool blocked by stalled reads (decodes share that pool)', async () => {
  const runs = await runRanks(worker('busy-pool'), 2, { UV_THREADPOOL_SIZE: '4' });
  for (const run of runs) {
    const o = lastJson(run.stdout) as { allReduce: string; seconds: number };
    assert.equal(o.allReduce, 'done', `allReduce ${o.allReduce} after ${o.seconds} s`);
  }
});

test('SyncBN on 2 ranks: one step equals one process on the combined batch (loss, weights, running statistics within 1e-5); per-rank BatchNorm does not', async () => {
  // The reference: one process, the combined batch, SyncBN over a group of one.
  const solo = await ProcessGroup.init({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: 1, storeFile: join(tempDir('cvrl-solo-'), 'store') });
  const ref = await syncBnStep(6, solo);
  solo.destroy();
  /** Names of the tensors that differ from the one-process step by more than 1e-5 (relative to their largest entry, if above 1). */
  const differing = (file: string) => [...loadSafetensors(file).tensors].filter(([k, t]) => {
    const want = ref.state.get(k)!;
    return t.sub(want).abs().amax().item() > 1e-5 * Math.max(1, want.abs().amax().item());
  }).map(([k]) => k);
  const synced = join(root, 'syncbn.safetensors'), perRank = join(root, 'syncbn-off.safetensors');
  for (const [rank, run] of (await runRanks(worker('syncbn', 'on', synced), 2)).entries()) {
    const loss = lastJson(run.stdout).loss as number;
    assert.ok(Math.abs(loss - ref.loss) <= 1e-5 * ref.loss, `rank ${rank}: loss ${loss} vs ${ref.loss}`);
  }
  assert.deepEqual(differing(synced), []);
  await runRanks(worker('syncbn', 'off', perRank), 2);
  assert.ok(differing(perRank).some((k) => k.endsWith('running_mean')), 'per-rank statistics should differ from the global batch\'s');
});
