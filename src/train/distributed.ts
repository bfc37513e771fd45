/**
 * Joining a distributed run from torchrun's environment conventions, and the two collectives the
 * trainer needs around the optimiser: parameters broadcast from rank 0, gradients summed.
 *
 * What is global and what is per rank: the NT-Xent negatives (the whole global batch, see
 * ssl/ntxent.ts globalNtXent), the gradients (summed), the parameters and the optimiser state (kept
 * identical: same start, same summed gradients, same steps) and the logged loss. Per rank: the data
 * shard (VideoLoader rank/worldSize), the augmentation randomness, and BatchNorm statistics
 * (per-rank BatchNorm over the local batch, unless the config's syncBn: nn/sync-batchnorm.ts).
 */
import { ProcessGroup } from '../torch/distributed.js';
import { resolveDevice, cudaIndex } from '../torch/device.js';
import { type Tensor } from '../torch/tensor.js';
import { zeros, fromTypedArray } from '../torch/creation.js';
import { createHash } from 'node:crypto';
import { type Module } from '../nn/module.js';

export interface DistributedContext {
  rank: number;
  worldSize: number;
  /** Index of this process on its machine (LOCAL_RANK). */
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** The process group; undefined for a single process. */
  group: ProcessGroup | undefined;
  /** Rank 0 writes checkpoints, metrics, TensorBoard events and progress. */
  isMain: boolean;
}

export const SINGLE_PROCESS: DistributedContext = Object.freeze({ rank: 0, worldSize: 1, localRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, group: undefined, isMain: true });

type Env = Readonly<Record<string, string | undefined>>;

function intVar(env: Env, name: string, min: number, fallback?: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is not set: a distributed run (WORLD_SIZE=${env.WORLD_SIZE}) needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun sets them; \`cvrl pretrain --nproc N\` sets them for local workers)`);
  }
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return Number(raw);
}

/** Reads and checks torchrun's variables without connecting: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. */
export function distributedEnv(env: Env = process.env): Omit<DistributedContext, 'group' | 'isMain'> {
  const worldSize = intVar(env, 'WORLD_SIZE', 1, 1);
  if (worldSize === 1) return { rank: 0, worldSize: 1, localRank: 0, masterAddr: '127.0.0.1', masterPort: 29500 };
  const rank = intVar(env, 'RANK', 0);
  if (rank >= worldSize) throw new Error(`RANK must be < WORLD_SIZE (${worldSize}), got '${env.RANK}'`);
  const localRank = intVar(env, 'LOCAL_RANK', 0, rank);
  const masterAddr = (env.MASTER_ADDR ?? '').trim() || '127.0.0.1';
  const masterPort = intVar(env, 'MASTER_PORT', 1, 29500);
  if (masterPort > 65535) throw new Error(`MASTER_PORT must be a TCP port (1-65535), got '${env.MASTER_PORT}'`);
  return { rank, worldSize, localRank, masterAddr, masterPort };
}

/**
 * Joins the run described by the environment (WORLD_SIZE unset or 1: a single process, no group),
 * over NCCL when `device` is a CUDA one.
 * Resolves once every rank has joined; rejects naming the variable when one is malformed.
 */
export async function initDistributed(env: Env = process.env, o: { timeoutMs?: number; device?: string } = {}): Promise<DistributedContext> {
  const e = distributedEnv(env);
  if (e.worldSize === 1) return SINGLE_PROCESS;
  const timeoutMs = o.timeoutMs ?? (env.CVRL_DIST_TIMEOUT_S ? intVar(env, 'CVRL_DIST_TIMEOUT_S', 1) * 1000 : undefined);
  // Set by launchLocal (`--nproc`): a private file, so the rendezvous opens no network port.
  const storeFile = env.CVRL_RENDEZVOUS_FILE?.trim() || undefined;
  // NCCL between the ranks' GPUs when training on CUDA, Gloo between CPUs otherwise.
  const cudaDevice = o.device ? cudaIndex(resolveDevice(o.device, e.localRank)) : undefined;
  const group = await ProcessGroup.init({ ...e, timeoutMs, storeFile, cudaDevice });
  return { ...e, group, isMain: e.rank === 0 };
}

/** Makes every rank's parameters and buffers equal to rank 0's (in place). */
export async function broadcastModule(module: Module<never[], unknown>, group: ProcessGroup | undefined): Promise<void> {
  if (!group) return;
  await group.broadcast([...module.parameters(), ...module.buffers()], 0);
}

/**
 * Sums the gradients of `params` over ranks in place (SUM: each rank's gradient is its slice's share
 * of the global loss's gradient, see globalNtXent). Parameters without a gradient are skipped; they
 * are the same on every rank because every rank runs the same graph.
 */
export async function allReduceGradients(params: readonly Tensor[], group: ProcessGroup | undefined): Promise<void> {
  if (!group) return;
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  try {
    await group.allReduce(grads);
  } finally {
    for (const g of grads) g.dispose();
  }
}

/** True on every rank when `flag` is true on any rank (for stopping together after a signal). */
export async function anyRank(flag: boolean, group: ProcessGroup | undefined): Promise<boolean> {
  if (!group) return flag;
  const t = zeros([1]);
  try {
    if (flag) t.fill_(1);
    await group.allReduce([t]);
    return t.item() > 0;
  } finally {
    t.dispose();
  }
}

/** SHA-256 of every parameter's bytes, in order. */
export function parameterDigest(params: readonly Tensor[]): string {
  const h = createHash('sha256');
  for (const p of params) {
    const c = p.contiguous();
    try {
      const a = c.toTypedArray();
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    } finally {
      c.dispose();
    }
  }
  return h.digest('hex');
}

/** One fact every rank must agree on: numbers are compared as they are, text by a hash. */
export interface RankFact { name: string; value: number | string }

/** 32-bit FNV-1a: text facts travel as a number that is exact in a float64. */
function textHash(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/**
 * Throws on every rank unless all ranks hold the same facts; the message names each fact that
 * differs, which rank differs, and the values where they are numbers.
 */
export async function sameOnAllRanks(group: ProcessGroup, facts: readonly RankFact[], hint: string): Promise<void> {
  const mine = facts.map((f) => (typeof f.value === 'number' ? f.value : textHash(f.value)));
  const t = fromTypedArray(new Float64Array(mine), [1, mine.length]);
  const all = await group.allGather(t);
  t.dispose();
  const values = all.toTypedArray() as Float64Array;
  all.dispose();
  const diffs: string[] = [];
  for (const [i, f] of facts.entries()) {
    for (let r = 1; r < group.worldSize; r++) {
      const v0 = values[i], vr = values[r * facts.length + i];
      if (vr === v0) continue;
      const own = (group.rank === r || group.rank === 0) && f.value.toString().length <= 80 ? ` (this rank: ${f.value})` : '';
      const shown = typeof f.value === 'number' ? `rank 0 has ${v0}, rank ${r} has ${vr}` : `rank ${r} differs from rank 0${own}`;
      diffs.push(`${f.name}: ${shown}`);
    }
  }
  if (diffs.length) throw new Error(`ranks disagree on ${diffs.join('; ')}; ${hint}`);
}

/** The ranks' parameters must end identical (same start, same summed gradients, same steps). */
export async function sameDigest(group: ProcessGroup, hex: string): Promise<void> {
  const t = fromTypedArray(Uint8Array.from(Buffer.from(hex, 'hex')), [1, 32]);
  const all = await group.allGather(t);
  t.dispose();
  const bytes = Buffer.from(all.toTypedArray() as Uint8Array);
  all.dispose();
  for (let r = 0; r < group.worldSize; r++) {
    const other = bytes.subarray(r * 32, r * 32 + 32).toString('hex');
    if (other !== hex) throw new Error(`ranks diverged: parameters on rank ${r} differ from rank ${group.rank}'s after training (digest ${other} vs ${hex})`);
  }
}

/**
 * Every rank must train the same recipe on the same data from the same checkpoint (a shared output
 * directory): otherwise step counts differ and a rank waits for a collective that never comes. Then
 * rank 0's parameters and buffers become everyone's, so the ranks start identical.
 */
export async function startTogether(group: ProcessGroup, module: Module<never[], unknown>, facts: readonly RankFact[]): Promise<void> {
  await sameOnAllRanks(group, facts, 'every rank must be started with the same config, the same data and the same --out directory');
  await broadcastModule(module, group);
}
