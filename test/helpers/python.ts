/** Runs a PyTorch reference script (Debian's python3-torch under /usr/bin/python3). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// CVRL_TEST_PYTHON: another Python with torch (scripts/gpu-check.sh's, on a machine without Debian's).
const PY = process.env.CVRL_TEST_PYTHON ?? '/usr/bin/python3';
const HELPERS = dirname(fileURLToPath(import.meta.url));

let available: boolean | undefined;
/** Whether python3-torch is importable; under CI its absence is a set-up failure, not a skip. */
export function torchAvailable(): boolean {
  if (available === undefined) {
    available = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
    if (!available && process.env.CI) throw new Error('python3-torch is missing: scripts/setup.sh should have installed it');
  }
  return available;
}

/** Runs `code` with `st_ref` importable and `DIR` set to a fresh temp directory; returns stdout. */
export function runPython(code: string, dir: string): string {
  const prelude = `import sys, os\nsys.path.insert(0, ${JSON.stringify(HELPERS)})\nimport torch\nimport st_ref\nDIR = ${JSON.stringify(dir)}\ntorch.set_num_threads(1)\n`;
  const r = spawnSync(PY, ['-c', prelude + code], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python reference failed:\n${r.stderr}`);
  return r.stdout;
}

const made: string[] = [];
/**
 * A fresh directory in the system's temp folder, removed with everything in it when this test
 * file's process exits (a full run would otherwise leave gigabytes behind each time);
 * CVRL_KEEP_TEST_DIRS=1 keeps them to look at.
 */
export function tempDir(prefix = 'cvrl-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!process.env.CVRL_KEEP_TEST_DIRS) {
    if (made.length === 0) process.on('exit', removeTempDirs);
    made.push(dir);
  }
  return dir;
}

function removeTempDirs(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a file still held open elsewhere: the system's temp cleaning takes the rest
    }
  }
}
