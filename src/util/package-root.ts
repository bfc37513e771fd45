/**
 * The cvrl package's own directory (package.json, build/, configs/), found from this module's
 * location, so that it is the same from src/ under tsx, from dist/src/ when built, and from
 * node_modules/cvrl/ when installed. The working directory plays no part.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  if (found) return found;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cvrl') return (found = { root: dir, version: pkg.version ?? '0.0.0' });
    }
    if (dirname(dir) === dir) throw new Error(`cvrl's package.json not found above ${start}: the package is incomplete, reinstall it`);
  }
}

/** The package's root directory. */
export function packageRoot(): string {
  return find().root;
}

/** The version in the package's package.json. */
export function packageVersion(): string {
  return find().version;
}
