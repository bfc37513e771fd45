// The src/ layout is layered (README, "Layout"): a module may import its own layer or lower ones,
// never a higher one, so that formats stay free of tensors and the library free of the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const RANK: Record<string, number> = {
  util: 0, formats: 1, native: 1, torch: 2, nn: 3, models: 4, video: 5, ssl: 5, optim: 5,
  train: 6, eval: 6, jobs: 7, report: 7, apps: 8, cli: 9, 'index.ts': 10,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string) => relative('src', file).split(/[\\/]/)[0];

test('every src/ directory has a layer', () => {
  const unknown = readdirSync('src').filter((d) => !(d in RANK));
  assert.deepEqual(unknown, [], 'add new directories to RANK here and to the README layout');
});

test('no module imports from a higher layer', () => {
  const up: string[] = [];
  for (const f of files('src')) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const target = relative('.', resolve(dirname(f), m[1]));
      const a = layerOf(f), b = layerOf(target);
      if (RANK[b] > RANK[a]) up.push(`${f} (${a}) imports ${target} (${b})`);
    }
  }
  assert.deepEqual(up, []);
});
