/**
 * The all-reduce cases of `npm run bench`: cvrl's all-reduce (SUM) between 2 local ranks over Gloo
 * (bench/allreduce.ts: 60 tensors per size, packed into buckets as for gradients) against
 * torch.distributed's all_reduce of one flat tensor (bench/allreduce_ref.py), alternating rounds.
 */
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = [1, 8, 33]; // million floats: a small head, r3d_18 x0.25 x8, r3d_18 (33.2 M parameters)

/** The cases' common name, before the size. */
export const ALLREDUCE_CASE = 'allreduce SUM, 2 local ranks over Gloo';

interface Run { results: { megafloats: number; ms: number }[] }

function side(which: 'ours' | 'ref', env: NodeJS.ProcessEnv): Run | string {
  const args = SIZES.map(String);
  const r = which === 'ours'
    ? spawnSync(process.execPath, ['--import', 'tsx', join(here, 'allreduce.ts'), ...args], { encoding: 'utf8', env })
    : spawnSync(env.CVRL_BENCH_PYTHON ?? '/usr/bin/python3', [join(here, 'allreduce_ref.py'), ...args], { encoding: 'utf8', env });
  const line = r.stdout?.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return (r.stderr || r.error?.message || 'failed').trim().split('\n').pop()!;
  return JSON.parse(line) as Run;
}

export function allreduceCases(o: { rounds: number; env: NodeJS.ProcessEnv }): Record<string, unknown>[] {
  const ours: Run[] = [], ref: Run[] = [];
  let error: string | undefined;
  for (let i = 0; i < o.rounds; i++) {
    for (const which of i % 2 === 0 ? ['ours', 'ref'] as const : ['ref', 'ours'] as const) {
      const r = side(which, o.env);
      if (typeof r === 'string') error = `${which}: ${r}`;
      else (which === 'ours' ? ours : ref).push(r);
    }
  }
  return SIZES.map((mf, k) => {
    const a = median(ours.map((r) => r.results[k].ms)), b = median(ref.map((r) => r.results[k].ms));
    return { name: `${ALLREDUCE_CASE}, ${mf}M floats`, unit: 'ms', ours: round(a), reference: round(b), ratio: round(b / a), ...(error ? { error } : {}) };
  });
}
