/**
 * `renderReport`: one self-contained HTML page from pre-training and evaluation run directories:
 * training curves, result tables, confusion matrices, a PCA of embeddings and animated sample clips.
 *
 * Policy for unusable RUNDIRs (missing, or with nothing recognisable): when at least one RUNDIR
 * (or --embeddings file) is usable, each unusable one is a warning and a note in the page; when
 * none is, renderReport throws a ReportError naming every one.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readRun, readEmbeddings, runNames, usable, expandRunDir, type RunData, type EmbeddingSet } from './load.js';
import { pca2d } from './pca.js';
import { sampleClips, type ClipSamples } from './clips.js';
import { renderPage, type ReportModel } from './html.js';
import { namingOptions } from '../util/option-error.js';
import { DEFAULT_SMOOTHING } from './smooth.js';

export interface ReportOptions {
  /** Pre-training and evaluation output directories. */
  runDirs: string[];
  /** Extra embeddings files (.safetensors with a .jsonl index beside it). */
  embeddings?: string[];
  title?: string;
  /** Videos to show as animated clips per pre-training run (default 4; 0 for none). */
  samples?: number;
  /** Frames per sample clip (default 16). */
  clipFrames?: number;
  /** Short side of sample frames in pixels (default 96). */
  clipShortSide?: number;
  /** TensorBoard-style EMA weight for noisy curves, in [0, 1) (default 0.6; 0: raw curves only). */
  smoothing?: number;
  /** Logarithmic y axes on loss charts (linear where a loss is <= 0). */
  logLoss?: boolean;
  /** Called once per warning (unusable run, malformed line, ...). */
  onWarning?: (message: string) => void;
}

export interface Report {
  html: string;
  runs: RunData[];
  /** Notes shown at the top of the page plus every run's reading warnings. */
  warnings: string[];
  charts: number;
  frames: number;
}

export class ReportError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ReportError';
  }
}

function why(dir: string): string {
  if (!existsSync(dir)) return `${dir}: no such directory`;
  if (!statSync(dir).isDirectory()) return `${dir}: not a directory`;
  return `${dir}: nothing to report (no metrics.jsonl, metrics.json, config.json or embeddings.safetensors)`;
}

export async function renderReport(o: ReportOptions): Promise<Report> {
  if (!o.runDirs.length && !o.embeddings?.length) throw namingOptions(new ReportError('nothing to report: give at least one of runDirs or embeddings'), 'runDirs', 'embeddings');
  const samples = o.samples ?? 4;
  if (!Number.isInteger(samples) || samples < 0) throw namingOptions(new ReportError(`samples must be a non-negative integer, got ${samples}`), 'samples');
  const smoothing = o.smoothing ?? DEFAULT_SMOOTHING;
  if (!(smoothing >= 0 && smoothing < 1)) throw namingOptions(new ReportError(`smoothing must be in [0, 1), got ${smoothing}`), 'smoothing');
  const seen = new Set<string>();
  const dirs = o.runDirs.flatMap((d) => (existsSync(d) && statSync(d).isDirectory() ? expandRunDir(d) : [d]))
    .filter((d) => !seen.has(resolve(d)) && Boolean(seen.add(resolve(d))));
  const names = runNames(dirs);
  const notes: string[] = [];
  const runs: RunData[] = [];
  const unusable: string[] = [];
  dirs.forEach((d, i) => {
    const run = existsSync(d) && statSync(d).isDirectory() ? readRun(d, names[i]) : undefined;
    if (run && usable(run)) runs.push(run);
    else unusable.push(run?.warnings.length ? `${why(d)}; ${run.warnings.join('; ')}` : why(d));
  });
  const extra: { name: string; set: EmbeddingSet }[] = [];
  for (const f of o.embeddings ?? []) {
    try {
      const w: string[] = [];
      extra.push({ name: f, set: readEmbeddings(f, w) });
      notes.push(...w);
    } catch (e) {
      unusable.push((e as Error).message);
    }
  }
  if (runs.length === 0 && extra.length === 0) {
    throw new ReportError(`nothing to report:\n  ${unusable.join('\n  ')}`);
  }
  notes.push(...unusable.map((u) => `skipped ${u}`));

  const embeddings: ReportModel['embeddings'] = [];
  for (const { name, set } of [...runs.filter((r) => r.embeddings).map((r) => ({ name: r.name, set: r.embeddings! })), ...extra]) {
    if (set.n === 0) {
      notes.push(`${set.file}: no rows`);
      continue;
    }
    embeddings.push({ name, set, pca: pca2d(set.features, set.n, set.d) });
  }
  const clips: { name: string; samples: ClipSamples }[] = [];
  if (samples > 0) {
    for (const r of runs.filter((x) => x.source)) {
      clips.push({ name: r.name, samples: await sampleClips(r.source!, { samples, frames: o.clipFrames, shortSide: o.clipShortSide }) });
    }
  }
  const page = renderPage({ title: o.title ?? 'cvrl report', runs, embeddings, clips, notes, smoothing, logLoss: o.logLoss });
  const warnings = [...notes, ...runs.flatMap((r) => r.warnings), ...clips.flatMap((c) => c.samples.notes)];
  for (const w of warnings) o.onWarning?.(w);
  return { html: page.html, runs, warnings, charts: page.charts, frames: page.frames };
}

/** Renders the report and writes it to `out` (atomically); returns the report. */
export async function writeReport(out: string, o: ReportOptions): Promise<Report> {
  const r = await renderReport(o);
  writeFileAtomic(resolve(out), Buffer.from(r.html, 'utf8'));
  return r;
}

