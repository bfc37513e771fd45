/** Evaluation outputs: metrics.json and summary.md in the --out directory, metrics.jsonl per epoch. */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClassificationReport } from '../eval/metrics.js';

export function writeEvalOutput(out: string, metrics: Record<string, unknown>, summary: string): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileSync(join(out, 'summary.md'), summary);
}

/**
 * Appends per-epoch records to OUT/metrics.jsonl, which its first record starts afresh (a job that
 * fails before its first epoch, on a missing data folder say, creates nothing).
 */
export function epochLog(out: string): { write(r: Record<string, unknown>): void } {
  const file = join(out, 'metrics.jsonl');
  let started = false;
  return {
    write: (r) => {
      if (!started) {
        mkdirSync(out, { recursive: true });
        writeFileSync(file, '');
        started = true;
      }
      appendFileSync(file, `${JSON.stringify(r)}\n`);
    },
  };
}

const pct = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

export interface SplitScore {
  split: number | null;
  top1: number;
  top5: number;
}

export function meanScore(rows: readonly SplitScore[]): { top1: number; top5: number } {
  const m = (k: 'top1' | 'top5') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  return { top1: m('top1'), top5: m('top5') };
}

/** A markdown summary: per-split scores, then per-class accuracy and the confusion matrix of the last split. */
export function classificationSummary(title: string, splits: readonly SplitScore[], last: ClassificationReport, classes: readonly string[]): string {
  const lines = [`# ${title}`, '', '| split | top-1 | top-5 |', '|---|---|---|'];
  for (const s of splits) lines.push(`| ${s.split ?? '-'} | ${pct(s.top1)} | ${pct(s.top5)} |`);
  if (splits.length > 1) {
    const m = meanScore(splits);
    lines.push(`| mean | ${pct(m.top1)} | ${pct(m.top5)} |`);
  }
  lines.push('', `Per-class top-1${splits.length > 1 ? ` (split ${splits[splits.length - 1].split})` : ''}:`, '', '| class | top-1 |', '|---|---|');
  classes.forEach((c, i) => lines.push(`| ${c} | ${pct(last.perClass[i])} |`));
  lines.push('', 'Confusion matrix (rows: true class, columns: predicted):', '', `| | ${classes.map((_, i) => i).join(' | ')} |`, `|---|${classes.map(() => '---').join('|')}|`);
  last.confusion.forEach((row, i) => lines.push(`| ${i} ${classes[i]} | ${row.join(' | ')} |`));
  return `${lines.join('\n')}\n`;
}
