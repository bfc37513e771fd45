/**
 * The decoding cases of `npm run bench`: runs bench/decode.ts (cvrl against a tuned PyAV reference
 * and the PyTorchVideo recipe, see there) and turns its results into rows of the common format.
 * Rates are throughputs, so ratio = ours / reference.
 */
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

type Rates = Record<string, unknown> & { reference_tuned?: Record<string, unknown>; reference_pytorchvideo?: Record<string, unknown> };
interface DecodeResult { codec: string; bframes: number; threads: number; decode: Rates; augment: Rates; cvrl_pairs: Rates }

export function decodeCases(o: { quick: boolean; only?: string; env: NodeJS.ProcessEnv }): Record<string, unknown>[] {
  // `--only "load: demo"` names the end-to-end case (bench/pretrain-e2e.ts), not these rows.
  if (o.only && (!/decode|load/.test(o.only) || o.only.startsWith('load:'))) return [];
  const script = join(dirname(fileURLToPath(import.meta.url)), 'decode.ts');
  // --quick: 16 clips were too short a window for our decoding rate (bench/NOTES-loader.md).
  const size = o.quick ? ['--clips', '48', '--reps', '1', '--pv-clips', '16'] : ['--clips', '48', '--reps', '3'];
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...size], { encoding: 'utf8', env: o.env, maxBuffer: 64 << 20 });
  if (r.status !== 0) return [{ name: 'decode', unit: 'clips/s', error: (r.stderr || 'failed').trim().split('\n').pop() }];
  const { results } = JSON.parse(r.stdout) as { results: DecodeResult[] };
  const rows: Record<string, unknown>[] = [];
  const row = (name: string, unit: string, x: Rates, key: string) => {
    const ours = x[`cvrl_${key}`] as number, ref = x.reference_tuned?.[key], pv = x.reference_pytorchvideo?.[key];
    rows.push({
      name, unit, ours, reference: ref ?? null, ratio: typeof ref === 'number' ? round(ours / ref) : null,
      reference_pytorchvideo: pv ?? null, ...(x.reference_tuned?.error ? { error: x.reference_tuned.error } : {}),
    });
  };
  for (const d of results) {
    const what = `${d.codec}${d.bframes ? ` b-frames` : ''} 320x240 -> 16x112x112, ${d.threads} thread${d.threads > 1 ? 's' : ''}`;
    row(`decode ${what}`, 'clips/s', d.decode, 'clips_per_s');
    row(`decode+augment batches of 8, ${what}`, 'batches/s', d.augment, 'batches_per_s');
    row(`load CVRL clip pairs, ${what}`, 'clips/s', d.cvrl_pairs, 'clips_per_s');
  }
  return rows.filter((x) => !o.only || String(x.name).includes(o.only));
}
