/**
 * Reads what a report shows from run directories: training curves (metrics.jsonl), evaluation
 * results (metrics.json, from the eval commands or the demo), embeddings (embeddings.safetensors +
 * embeddings.jsonl) and the pre-training config (config.json, for sample clips). Everything is
 * read leniently: a malformed line or field becomes a warning naming file:line, never a crash.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadSafetensors } from '../nn/safetensors.js';
import { isNum, isObj, readJsonFile, readJsonl } from './json.js';
import { readMetricsJson, type DemoMetrics, type EvalMetrics } from './metrics-json.js';

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
  /**
   * 'eval' for linear-eval / finetune logs (their steps count the evaluation's own optimiser steps,
   * so they never share an axis with pre-training steps), else 'pretrain'.
   */
  phase: 'pretrain' | 'eval';
}

/** Commands whose metrics.jsonl logs their own training (report/html.ts keeps them off pre-training axes). */
const EVAL_TRAINING = ['linear-eval', 'finetune'];

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
  // Evaluation epochs log their training accuracy as train_top1; pre-training never does.
  const phase = points.some((p) => p.values.train_top1 !== undefined) ? 'eval' : 'pretrain';
  return { file, points, x, phase };
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
/** Largest class index shown; larger labels are warned about and shown as unlabelled. */
const MAX_LABEL = 999_999;

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
      // Labels index a dense class list: a huge one would allocate that many entries.
      const l = isNum(r.label) && Number.isInteger(r.label) && r.label >= -1 && r.label <= MAX_LABEL ? r.label : -1;
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
  if (run.curves && EVAL_TRAINING.includes(run.eval?.command ?? '')) run.curves.phase = 'eval';
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
