/**
 * Housekeeping of a run directory before training starts: what counts as a checkpoint to resume,
 * temporaries a crashed write left behind, and metrics logged past the step a run resumes from.
 */
import { existsSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPORARY_FILE, writeFileAtomic } from '../util/atomic-file.js';
import { STEP_FILE } from '../models/checkpoint.js';

/** Complete checkpoints in RUNDIR/checkpoints (renamed into place only once fully written). */
export function completeCheckpoints(runDir: string): string[] {
  const dir = join(runDir, 'checkpoints');
  return existsSync(dir) ? readdirSync(dir).filter((n) => STEP_FILE.test(n)).sort() : [];
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporaries of writes whose process is gone (a crash or kill mid-checkpoint); returns their names. */
export function removeStaleTemporaries(runDir: string): string[] {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const n of readdirSync(dir)) {
    const m = TEMPORARY_FILE.exec(n);
    const p = join(dir, n);
    if (!m || Number(m[1]) === process.pid || running(Number(m[1])) || !statSync(p).isFile()) continue;
    unlinkSync(p);
    removed.push(n);
  }
  return removed;
}

/**
 * Keeps the metrics lines up to `step` (all dropped for 0), so a resumed run's curves continue from
 * its checkpoint instead of repeating the steps logged after it. Torn lines are dropped too.
 */
export function trimMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const kept = lines.filter((l) => {
    try {
      const s = (JSON.parse(l) as { step?: unknown }).step;
      return typeof s === 'number' && s <= step;
    } catch {
      return false;
    }
  });
  if (kept.length !== lines.length) writeFileAtomic(file, new TextEncoder().encode(kept.map((l) => `${l}\n`).join('')));
}
