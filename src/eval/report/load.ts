/**
 * Reads what a report shows from run directories: training curves (metrics.jsonl), evaluation
 * results (metrics.json, from the eval commands or the demo), embeddings (embeddings.safetensors +
 * embeddings.jsonl) and the pre-training config (config.json, for sample clips). Everything is
 * read leniently: a malformed line or field becomes a warning naming file:line, never a crash.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadSafetensors } from '../../nn/safetensors.js';

/** One metrics.jsonl line: step and/or epoch plus any numeric fields. */
export interface CurvePoint {
  step?: number;
  epoch?: number;
  values: Record<string, number>;
}

export interface Curves {
  file: string;
  points: CurvePoint[];
  /** 'step' when every point has one, else 'epoch' (fine-tuning logs), else the line index. */
  x: 'step' | 'epoch' | 'line';
}

export interface EncoderInfo {
  checkpoint: string | null;
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

export interface EmbeddingSet {
  file: string;
  /** [N, D] row-major float32. */
  features: Float32Array;
  n: number;
  d: number;
  /** Class index per row (-1: unlabelled). */
  labels: number[];
  paths: string[];
  /** Class names by index (from the jsonl `class` fields, else the run's metrics.json, else "class k"). */
  classes: string[];
}

/** What a pre-training run's config.json says about its data. */
export interface DataSource {
  file: string;
  data: string;
  format: string;
  annotations?: string;
  split?: number;
  frames?: number;
  stride?: number;
}

export interface RunData {
  /** The directory as given. */
  dir: string;
  /** A short unique label for tables and legends. */
  name: string;
  curves?: Curves;
  eval?: EvalMetrics;
  demo?: DemoMetrics;
  embeddings?: EmbeddingSet;
  source?: DataSource;
  /** Problems found while reading (malformed lines, fields, files); shown in the page. */
  warnings: string[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Parses a JSON Lines file; bad lines are reported as file:line and skipped. */
export function readJsonl(file: string, warnings: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  readFileSync(file, 'utf8').split(/\r?\n/).forEach((text, i) => {
    if (!text.trim()) return;
    try {
      const v: unknown = JSON.parse(text);
      if (!isObj(v)) throw new Error('not a JSON object');
      out.push(v);
    } catch (e) {
      warnings.push(`${file}:${i + 1}: skipped malformed line (${(e as Error).message})`);
    }
  });
  return out;
}

/** Reads metrics.jsonl into curve points; lines without any numeric value are skipped with a warning. */
export function readCurves(file: string, warnings: string[]): Curves | undefined {
  const lines = readJsonl(file, warnings);
  const points: CurvePoint[] = [];
  lines.forEach((l) => {
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(l)) if (isNum(v) && k !== 'step' && k !== 'epoch') values[k] = v;
    points.push({ step: isNum(l.step) ? l.step : undefined, epoch: isNum(l.epoch) ? l.epoch : undefined, values });
  });
  if (points.length === 0) {
    warnings.push(`${file}: no usable lines`);
    return undefined;
  }
  const x = points.every((p) => p.step !== undefined) ? 'step' : points.every((p) => p.epoch !== undefined) ? 'epoch' : 'line';
  return { file, points, x };
}

function readJsonFile(file: string, warnings: string[]): unknown {
  const text = readFileSync(file, 'utf8');
  if (!text.trim()) {
    warnings.push(`${file}: empty file`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    warnings.push(`${file}: invalid JSON (${(e as Error).message})`);
    return undefined;
  }
}

function numberArray(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every(isNum) ? v : undefined;
}

/** Validates an evaluation metrics.json leniently: bad optional fields are dropped with a warning. */
export function parseEvalMetrics(raw: Record<string, unknown>, file: string, warnings: string[]): EvalMetrics {
  const m: EvalMetrics = { file };
  const bad = (field: string, why: string) => warnings.push(`${file}: ignored field '${field}' (${why})`);
  if (typeof raw.command === 'string') m.command = raw.command;
  if (isObj(raw.encoder)) {
    const e = raw.encoder;
    m.encoder = { checkpoint: typeof e.checkpoint === 'string' ? e.checkpoint : null, arch: typeof e.arch === 'string' ? e.arch : '?', randomInit: e.randomInit === true };
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

/** The data source of a pre-training run's config.json (`config.data`, `config.format`, ...). */
export function readDataSource(file: string, warnings: string[]): DataSource | undefined {
  const raw = readJsonFile(file, warnings);
  const c = isObj(raw) && isObj(raw.config) ? raw.config : undefined;
  if (!c || typeof c.data !== 'string' || typeof c.format !== 'string') {
    if (raw !== undefined) warnings.push(`${file}: no config.data and config.format: cannot show sample clips`);
    return undefined;
  }
  return {
    file, data: c.data, format: c.format,
    annotations: typeof c.annotations === 'string' ? c.annotations : undefined,
    split: isNum(c.split) ? c.split : undefined,
    frames: isNum(c.frames) ? c.frames : undefined,
    stride: isNum(c.stride) ? c.stride : undefined,
  };
}

/** The jsonl that goes with an embeddings .safetensors file (same name, .jsonl). */
export function embeddingsIndexFile(file: string): string {
  return file.replace(/\.safetensors$/, '') + '.jsonl';
}

/**
 * Reads embeddings.safetensors (tensor `features`, float32 [N, D]) with its jsonl index (one line
 * per row: path, label, class?, views). Throws with the file name when the pair does not match.
 */
export function readEmbeddings(file: string, warnings: string[], classNames?: readonly string[]): EmbeddingSet {
  const index = embeddingsIndexFile(file);
  if (!existsSync(index)) throw new Error(`${file}: its index ${basename(index)} is missing`);
  const { tensors } = loadSafetensors(file);
  try {
    const t = tensors.get('features');
    if (!t) throw new Error(`${file}: no tensor 'features' (has ${[...tensors.keys()].join(', ') || 'none'})`);
    if (t.ndim !== 2) throw new Error(`${file}: 'features' must be [N, D], got [${t.shape.join(', ')}]`);
    const [n, d] = t.shape;
    const f = t.dtype === 'float32' ? t.toTypedArray() : (() => { const c = t.to('float32'); try { return c.toTypedArray(); } finally { c.dispose(); } })();
    const features = Float32Array.from(f as Float32Array);
    const rows = readJsonl(index, warnings);
    if (rows.length !== n) throw new Error(`${index}: ${rows.length} usable lines for ${n} embedding rows in ${basename(file)}`);
    const names = new Map<number, string>();
    const labels = rows.map((r, i) => {
      const l = isNum(r.label) && Number.isInteger(r.label) && r.label >= -1 ? r.label : -1;
      if (r.label !== undefined && l !== r.label) warnings.push(`${index}: row ${i}: label ${JSON.stringify(r.label)} is not a class index; shown as unlabelled`);
      if (l >= 0 && typeof r.class === 'string' && !names.has(l)) names.set(l, r.class);
      return l;
    });
    const k = labels.reduce((a, b) => Math.max(a, b), -1) + 1;
    const classes = Array.from({ length: k }, (_, i) => names.get(i) ?? classNames?.[i] ?? `class ${i}`);
    return { file, features, n, d, labels, paths: rows.map((r) => (typeof r.path === 'string' ? r.path : '')), classes };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Reads everything recognisable in one run directory; an unreadable file is a warning. */
export function readRun(dir: string, name: string): RunData {
  const run: RunData = { dir, name, warnings: [] };
  const w = run.warnings;
  const at = (f: string) => join(dir, f);
  const attempt = (file: string, read: () => void) => {
    if (!existsSync(at(file))) return;
    try {
      read();
    } catch (e) {
      const m = (e as Error).message;
      w.push(m.includes(at(file)) ? m : `${at(file)}: ${m}`);
    }
  };
  attempt('metrics.jsonl', () => { run.curves = readCurves(at('metrics.jsonl'), w); });
  attempt('metrics.json', () => { Object.assign(run, readMetricsJson(at('metrics.json'), w)); });
  attempt('config.json', () => { run.source = readDataSource(at('config.json'), w); });
  attempt('embeddings.safetensors', () => { run.embeddings = readEmbeddings(at('embeddings.safetensors'), w, run.eval?.classes); });
  return run;
}

/** Whether a run has anything to show. */
export function usable(run: RunData): boolean {
  return Boolean(run.curves || run.eval || run.demo || run.embeddings || run.source);
}

/** Short distinct names for directories: the last path parts that tell them apart. */
export function runNames(dirs: readonly string[]): string[] {
  const parts = dirs.map((d) => resolve(d).split(/[\\/]/).filter(Boolean));
  for (let k = 1; ; k++) {
    const names = parts.map((p) => p.slice(-k).join('/') || '/');
    if (new Set(names).size === names.length || parts.every((p) => p.length <= k)) return names;
  }
}

/** The directories a report reads for one RUNDIR: itself, plus a demo's `pretrain/` sub-run. */
export function expandRunDir(dir: string): string[] {
  const sub = join(dir, 'pretrain');
  return existsSync(join(sub, 'metrics.jsonl')) && statSync(sub).isDirectory() ? [dir, sub] : [dir];
}

