/** AVA scores for people and programs: a per-class table with the mAP line, and the JSON shape. */
import { type AvaScore } from './ava-map.js';
import { maxOf } from '../../util/array.js';

const fixed = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));

/** Per-class AP, ground-truth count and name, then the mAP line. */
export function scoreTable(s: AvaScore, names: ReadonlyMap<number, string>): string {
  const rows = [...s.perClass].map(([id, ap]) => [String(id), fixed(ap), String(s.positives.get(id) ?? 0), names.get(id) ?? '']);
  const head = ['id', 'AP', 'gt', 'class'];
  const w = [0, 1, 2].map((i) => maxOf(rows.map((r) => r[i].length), head[i].length));
  const line = (r: string[]) => `${r.slice(0, 3).map((c, i) => c.padStart(w[i])).join('  ')}  ${r[3]}`.trimEnd();
  const scored = rows.filter((r) => r[1] !== '-').length;
  return [line(head), ...rows.map(line), `mAP ${fixed(s.mAP)} over ${scored} of ${rows.length} classes (classes without ground truth are left out)`].join('\n');
}

/** The --json shape: percent values, NaN as null. */
export function scoreJson(s: AvaScore): { mAP: number | null; per_class: Record<string, number | null> } {
  const num = (x: number) => (Number.isNaN(x) ? null : x);
  return { mAP: num(s.mAP), per_class: Object.fromEntries([...s.perClass].map(([id, ap]) => [String(id), num(ap)])) };
}
