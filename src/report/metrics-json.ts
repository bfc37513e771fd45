/** metrics.json as the report reads it: an evaluation command's results or the demo's table. */
import { isNum, isObj, numberArray, readJsonFile } from './json.js';

export interface EncoderInfo {
  checkpoint: string | null;
  /** A plain state dict (`--weights`) the encoder was loaded from. */
  weights?: string;
  arch: string;
  randomInit: boolean;
}

/** metrics.json of an evaluation command; every field but the file may be missing. */
export interface EvalMetrics {
  file: string;
  command?: string;
  encoder?: EncoderInfo;
  classes?: string[];
  top1?: number;
  top5?: number;
  perClass?: number[];
  confusion?: number[][];
  splits?: { split: number; top1?: number; top5?: number }[];
  recall?: Record<string, number>;
  knnTop1?: number;
  labelFraction?: number;
}

/** The demo's metrics.json: a table of linear-probe rows. */
export interface DemoMetrics {
  file: string;
  rows: { encoder: string; top1?: number; top5?: number; trainTop1?: number }[];
  pretrain?: Record<string, number>;
}

/** Validates an evaluation metrics.json leniently: bad optional fields are dropped with a warning. */
export function parseEvalMetrics(raw: Record<string, unknown>, file: string, warnings: string[]): EvalMetrics {
  const m: EvalMetrics = { file };
  const bad = (field: string, why: string) => warnings.push(`${file}: ignored field '${field}' (${why})`);
  if (typeof raw.command === 'string') m.command = raw.command;
  if (isObj(raw.encoder)) {
    const e = raw.encoder;
    m.encoder = { checkpoint: typeof e.checkpoint === 'string' ? e.checkpoint : null, arch: typeof e.arch === 'string' ? e.arch : '?', randomInit: e.randomInit === true };
    if (typeof e.weights === 'string') m.encoder.weights = e.weights;
  } else if (raw.encoder !== undefined) bad('encoder', 'not an object');
  if (raw.classes !== undefined) {
    if (Array.isArray(raw.classes) && raw.classes.every((c) => typeof c === 'string')) m.classes = raw.classes as string[];
    else bad('classes', 'not a list of strings');
  }
  for (const k of ['top1', 'top5', 'knnTop1', 'labelFraction'] as const) {
    if (raw[k] === undefined || raw[k] === null) continue;
    if (isNum(raw[k])) m[k] = raw[k] as number;
    else bad(k, 'not a number');
  }
  if (raw.perClass !== undefined) {
    const p = numberArray(raw.perClass);
    if (!p) bad('perClass', 'not a list of numbers');
    else if (m.classes && p.length !== m.classes.length) bad('perClass', `${p.length} values for ${m.classes.length} classes`);
    else m.perClass = p;
  }
  if (raw.confusion !== undefined) {
    const rows = Array.isArray(raw.confusion) ? raw.confusion.map(numberArray) : undefined;
    const k = rows?.length ?? 0;
    if (!rows || rows.some((r) => !r)) bad('confusion', 'not a matrix of numbers');
    else if (rows.some((r) => r!.length !== k)) bad('confusion', 'not square');
    else if (m.classes && k !== m.classes.length) bad('confusion', `${k}x${k} for ${m.classes.length} classes`);
    else m.confusion = rows as number[][];
  }
  if (raw.splits !== undefined) {
    if (Array.isArray(raw.splits) && raw.splits.every((s) => isObj(s) && isNum(s.split))) {
      m.splits = (raw.splits as Record<string, unknown>[]).map((s) => ({ split: s.split as number, top1: isNum(s.top1) ? s.top1 : undefined, top5: isNum(s.top5) ? s.top5 : undefined }));
    } else bad('splits', 'not a list of {split, top1, top5}');
  }
  if (raw.recall !== undefined) {
    if (isObj(raw.recall)) {
      m.recall = Object.fromEntries(Object.entries(raw.recall).filter(([, v]) => isNum(v))) as Record<string, number>;
    } else bad('recall', 'not an object');
  }
  return m;
}

function parseDemoMetrics(raw: Record<string, unknown>, file: string, warnings: string[]): DemoMetrics | undefined {
  const rows: DemoMetrics['rows'] = [];
  (raw.rows as unknown[]).forEach((r, i) => {
    if (!isObj(r) || typeof r.encoder !== 'string') {
      warnings.push(`${file}: rows[${i}] skipped (no encoder name)`);
      return;
    }
    rows.push({ encoder: r.encoder, top1: isNum(r.top1) ? r.top1 : undefined, top5: isNum(r.top5) ? r.top5 : undefined, trainTop1: isNum(r.trainTop1) ? r.trainTop1 : undefined });
  });
  const pretrain = isObj(raw.pretrain) ? Object.fromEntries(Object.entries(raw.pretrain).filter(([, v]) => isNum(v))) as Record<string, number> : undefined;
  return rows.length || pretrain ? { file, rows, pretrain } : undefined;
}

/** Reads metrics.json as evaluation results or the demo's table. */
export function readMetricsJson(file: string, warnings: string[]): { eval?: EvalMetrics; demo?: DemoMetrics } {
  const raw = readJsonFile(file, warnings);
  if (raw === undefined) return {};
  if (!isObj(raw)) {
    warnings.push(`${file}: expected a JSON object`);
    return {};
  }
  if (Array.isArray(raw.rows)) return { demo: parseDemoMetrics(raw, file, warnings) };
  if (raw.command !== undefined || raw.top1 !== undefined || raw.recall !== undefined || raw.confusion !== undefined) {
    return { eval: parseEvalMetrics(raw, file, warnings) };
  }
  warnings.push(`${file}: not an evaluation result (no command, top1, recall or rows)`);
  return {};
}
