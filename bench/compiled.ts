/**
 * cvrl's side of the benchmarks runs as users run cvrl: compiled to JavaScript (tsconfig.bench.json,
 * into dist-bench/), not through tsx, whose loader thread would add its own resident memory and
 * start-up work to every measured process. Compiled once per bench run.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let built = false;

/** The compiled form of a file under bench/ (given as its .ts path), compiling the bench first if needed. */
export function compiledBenchScript(tsPath: string): string {
  if (!built) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.bench.json')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`compiling the bench (tsc -p tsconfig.bench.json) failed:\n${r.stdout}${r.stderr}`);
    built = true;
  }
  return join(root, 'dist-bench', relative(root, tsPath).replace(/\.ts$/, '.js'));
}
