/**
 * Video datasets in the layouts users bring: a folder (unlabelled, or one sub-folder per class), a
 * CSV/text list, UCF-101 (classInd + train/testlist0N), HMDB-51 (the 7030 split files) and Kinetics
 * CSV. Paths in annotation files resolve inside ROOT; one that escapes ROOT by its name ('..', an
 * absolute path) is rejected, but symbolic links are followed wherever they point. Errors name the
 * file and line.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { maxOf } from '../util/array.js';
import { namingOptions } from '../util/option-error.js';

export type DatasetFormat = 'folder' | 'list' | 'ucf101' | 'hmdb51' | 'kinetics';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['folder', 'list', 'ucf101', 'hmdb51', 'kinetics'];

export interface VideoItem {
  path: string;
  /** Class index, or -1 when unlabelled. */
  label: number;
}

export interface VideoDataset {
  root: string;
  format: DatasetFormat;
  classes: string[];
  items: VideoItem[];
}

export interface DatasetOptions {
  /** ROOT: the folder holding the videos. */
  data: string;
  format: DatasetFormat;
  /** Annotation file or folder (list CSV, UCF/HMDB split folder, Kinetics CSV). */
  annotations?: string;
  /** Official split 1-3 (UCF-101, HMDB-51). */
  split?: number;
  /** Which part of the split: train (default) or test. Kinetics: the CSV's split column value. */
  subset?: string;
}

export const VIDEO_EXTENSIONS = new Set(['.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg', '.flv', '.3gp', '.ogv', '.wmv', '.gif']);

/** Largest integer class label a list may use: the class list is dense up to it. */
export const MAX_LIST_LABEL = 999_999;

export class DatasetError extends Error {
  constructor(where: string, msg: string) {
    super(`${where}: ${msg}`);
    this.name = 'DatasetError';
  }
}

/** Resolves an annotation path inside root; rejects absolute paths outside it and any '..' escape. */
export function resolveInside(root: string, p: string, where: string): string {
  const abs = resolve(root, p);
  const rel = relative(resolve(root), abs);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new DatasetError(where, `path '${p}' escapes the data root ${root}`);
  }
  return abs;
}

function lines(file: string): { text: string; where: string }[] {
  if (!existsSync(file)) throw new DatasetError(file, 'annotation file not found');
  return readFileSync(file, 'utf8').split(/\r?\n/).map((text, i) => ({ text: text.trim(), where: `${file}:${i + 1}` })).filter((l) => l.text && !l.text.startsWith('#'));
}

function isVideo(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && VIDEO_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Video files under dir. Symbolic links are followed wherever they point, files and folders alike
 * (the README's policy); a folder reached twice (a link loop) is walked once. A broken link with a
 * video extension is listed, so that the loader reports it with its target.
 */
function walk(dir: string, seen = new Set<string>()): string[] {
  const real = realpathSync(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(p))) return walk(p, seen);
    return isVideo(e.name) ? [p] : [];
  });
}

/** Videos under root; labelled by first-level sub-folder when every video sits in one. */
function folderDataset(root: string): VideoDataset {
  const files = walk(root);
  if (files.length === 0) throw new DatasetError(root, `no video files (${[...VIDEO_EXTENSIONS].join(' ')}) found`);
  const top = files.map((f) => relative(root, f).split(sep));
  const labelled = top.every((parts) => parts.length >= 2);
  const classes = labelled ? [...new Set(top.map((p) => p[0]))].sort() : [];
  const index = new Map(classes.map((c, i) => [c, i]));
  return { root, format: 'folder', classes, items: files.map((path, i) => ({ path, label: labelled ? index.get(top[i][0])! : -1 })) };
}

/** "path[,label]" or "path label" per line; labels are integers or class names; an optional header. */
function listDataset(root: string, file: string): VideoDataset {
  const rows = lines(file);
  const parsed = rows.map(({ text, where }) => {
    const parts = text.includes(',') ? text.split(',').map((s) => s.trim()) : text.split(/\s+/);
    if (parts.length > 2) throw new DatasetError(where, `expected 'path' or 'path,label', got ${parts.length} fields`);
    return { path: parts[0], label: parts[1], where };
  });
  if (parsed.length && /^(path|file|video)$/i.test(parsed[0].path)) parsed.shift();
  const named = parsed.some((r) => r.label !== undefined && !/^-?\d+$/.test(r.label));
  const classes = named ? [...new Set(parsed.map((r) => r.label).filter((l): l is string => l !== undefined))].sort() : [];
  const index = new Map(classes.map((c, i) => [c, i]));
  const items = parsed.map((r) => ({
    path: resolveInside(root, r.path, r.where),
    label: r.label === undefined ? -1 : named ? index.get(r.label)! : integerLabel(r.label, r.where),
  }));
  if (!named) {
    const max = maxOf(items.map((i) => i.label), -1);
    for (let c = 0; c <= max; c++) classes.push(String(c));
  }
  return { root, format: 'list', classes, items };
}

/** A numeric list label: 0..MAX_LIST_LABEL, since classes 0..label are listed. */
function integerLabel(text: string, where: string): number {
  const n = Number(text);
  if (n < 0) throw new DatasetError(where, `label ${text} is negative; leave the label out for an unlabelled video`);
  if (!Number.isSafeInteger(n) || n > MAX_LIST_LABEL) throw new DatasetError(where, `label ${text} is too large: integer labels are class indices, at most ${MAX_LIST_LABEL}`);
  return n;
}

function checkSplit(split: number | undefined, where: string): number {
  const s = split ?? 1;
  if (![1, 2, 3].includes(s)) throw namingOptions(new DatasetError(where, `must be 1, 2 or 3, got ${split}`), 'split');
  return s;
}

function ucf101Dataset(root: string, ann: string, split: number, subset: string): VideoDataset {
  const classInd = lines(join(ann, 'classInd.txt')).map(({ text, where }) => {
    const m = /^(\d+)\s+(\S+)$/.exec(text);
    if (!m) throw new DatasetError(where, `expected '<index> <ClassName>', got '${text}'`);
    return { index: Number(m[1]), name: m[2], where };
  });
  classInd.forEach((c, i) => { if (c.index !== i + 1) throw new DatasetError(c.where, `class indices must run 1, 2, ...; got ${c.index} at position ${i + 1}`); });
  const classes = classInd.map((c) => c.name);
  const byName = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const listFile = join(ann, `${subset === 'test' ? 'testlist' : 'trainlist'}0${split}.txt`);
  const items = lines(listFile).map(({ text, where }) => {
    const [path, label] = text.split(/\s+/);
    const dir = path.split('/')[0];
    const fromDir = byName.get(dir.toLowerCase());
    if (fromDir === undefined) throw new DatasetError(where, `class folder '${dir}' is not in classInd.txt`);
    if (label !== undefined) {
      const n = Number(label);
      if (!Number.isInteger(n) || n < 1 || n > classes.length) throw new DatasetError(where, `label '${label}' is not a class index 1..${classes.length}`);
      if (n - 1 !== fromDir) throw new DatasetError(where, `label ${n} disagrees with class folder '${dir}' (${fromDir + 1})`);
    }
    return { path: resolveInside(root, path, where), label: fromDir };
  });
  return { root, format: 'ucf101', classes, items };
}

function hmdb51Dataset(root: string, ann: string, split: number, subset: string): VideoDataset {
  if (!existsSync(ann) || !statSync(ann).isDirectory()) throw new DatasetError(ann, 'expected the folder of <class>_test_split<N>.txt files');
  const suffix = `_test_split${split}.txt`;
  const files = readdirSync(ann).filter((f) => f.endsWith(suffix)).sort();
  if (files.length === 0) throw new DatasetError(ann, `no *${suffix} files`);
  const classes = files.map((f) => f.slice(0, -suffix.length));
  const want = subset === 'test' ? '2' : '1';
  const items: VideoItem[] = [];
  files.forEach((f, label) => {
    for (const { text, where } of lines(join(ann, f))) {
      const m = /^(\S+)\s+([012])$/.exec(text);
      if (!m) throw new DatasetError(where, `expected '<video> <0|1|2>', got '${text}'`);
      if (m[2] === want) items.push({ path: resolveInside(root, join(classes[label], m[1]), where), label });
    }
  });
  return { root, format: 'hmdb51', classes, items };
}

/** Kinetics CSV: label,youtube_id,time_start,time_end,split -> <split>/<label>/<id>_<start:06d>_<end:06d>.mp4. */
function kineticsDataset(root: string, file: string, subset: string | undefined): VideoDataset {
  const rows = lines(file);
  if (rows.length === 0) throw new DatasetError(file, 'empty CSV');
  const header = rows[0].text.split(',').map((h) => h.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DatasetError(`${file}:1`, `missing column '${name}' (expected label,youtube_id,time_start,time_end,split)`);
    return i;
  };
  const [cl, cy, cs, ce, cp] = ['label', 'youtube_id', 'time_start', 'time_end', 'split'].map(col);
  const records = rows.slice(1).map(({ text, where }) => {
    const f = parseCsvLine(text);
    if (f.length !== header.length) throw new DatasetError(where, `expected ${header.length} fields, got ${f.length}`);
    const start = Number(f[cs]), end = Number(f[ce]);
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw new DatasetError(where, `time_start/time_end must be numbers, got '${f[cs]}', '${f[ce]}'`);
    return { label: f[cl], id: f[cy], start, end, split: f[cp], where };
  });
  const chosen = subset ? records.filter((r) => r.split === subset) : records;
  const classes = [...new Set(records.map((r) => r.label))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const pad = (n: number) => String(Math.round(n)).padStart(6, '0');
  const items = chosen.map((r) => ({
    path: resolveInside(root, join(r.split, r.label, `${r.id}_${pad(r.start)}_${pad(r.end)}.mp4`), r.where),
    label: index.get(r.label)!,
  }));
  return { root, format: 'kinetics', classes, items };
}

/** Splits a CSV line with double-quoted fields (Kinetics labels contain commas and spaces). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur.trim()); cur = ''; }
    else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Opens a dataset in one of the supported layouts. */
export function openDataset(o: DatasetOptions): VideoDataset {
  const root = resolve(o.data);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new DatasetError(o.data, 'the dataset folder does not exist');
  if (!DATASET_FORMATS.includes(o.format)) throw namingOptions(new DatasetError('format', `must be one of ${DATASET_FORMATS.join(', ')}, got '${o.format}'`), 'format');
  const subset = o.subset ?? 'train';
  if ((o.format === 'ucf101' || o.format === 'hmdb51') && !['train', 'test'].includes(subset)) {
    throw namingOptions(new DatasetError('subset', `must be train or test for ${o.format}, got '${subset}'`), 'subset');
  }
  const need = (what: string): string => {
    if (!o.annotations) throw namingOptions(new DatasetError('annotations', `required for format ${o.format} (${what})`), 'annotations', 'format');
    return resolve(o.annotations);
  };
  switch (o.format) {
    case 'folder': return folderDataset(root);
    case 'list': return listDataset(root, need('a CSV or text list of videos'));
    case 'ucf101': return ucf101Dataset(root, need('the ucfTrainTestlist folder'), checkSplit(o.split, 'split'), subset);
    case 'hmdb51': return hmdb51Dataset(root, need('the testTrainMulti_7030_splits folder'), checkSplit(o.split, 'split'), subset);
    case 'kinetics': return kineticsDataset(root, need('the Kinetics CSV'), o.subset);
  }
}

