/**
 * Sample clips for the report: a few videos of a pre-training run's dataset, decoded frame-exactly
 * and encoded as PNG frames. Failures (data moved, unreadable videos) become notes, not errors.
 */
import { basename } from 'node:path';
import { openDataset, type DatasetFormat } from '../video/dataset.js';
import { decodeClips } from '../video/io.js';
import { encodePng } from '../formats/png.js';
import { type DataSource } from './load.js';

export interface SampleClip {
  path: string;
  /** The class name, or undefined for unlabelled data. */
  className?: string;
  width: number;
  height: number;
  /** PNG files, one per frame. */
  frames: Buffer[];
}

export interface ClipSamples {
  clips: SampleClip[];
  /** Why some or all clips are missing. */
  notes: string[];
}

export interface ClipOptions {
  /** Number of videos (default 4). */
  samples?: number;
  /** Frames per clip (default 16). */
  frames?: number;
  /** Short side of the decoded frames (default 96). */
  shortSide?: number;
}

/** Evenly spaced indices into a list of `length` items (deterministic, spreads over classes). */
export function spread(length: number, count: number): number[] {
  const k = Math.min(length, count);
  return Array.from({ length: k }, (_, i) => Math.floor((i * length) / k));
}

export async function sampleClips(src: DataSource, o: ClipOptions = {}): Promise<ClipSamples> {
  const samples = o.samples ?? 4, T = o.frames ?? 16, shortSide = o.shortSide ?? 96;
  const out: ClipSamples = { clips: [], notes: [] };
  if (samples <= 0) return out;
  let ds;
  try {
    ds = openDataset({ data: src.data, format: src.format as DatasetFormat, annotations: src.annotations, split: src.split });
  } catch (e) {
    out.notes.push(`sample clips unavailable: the dataset of ${src.file} could not be opened (${(e as Error).message})`);
    return out;
  }
  if (ds.items.length === 0) {
    out.notes.push(`sample clips unavailable: the dataset in ${src.data} has no videos`);
    return out;
  }
  const stride = src.stride !== undefined && Number.isInteger(src.stride) && src.stride >= 1 ? src.stride : 1;
  // Try further videos when some cannot be decoded, up to twice the number asked for.
  const candidates = spread(ds.items.length, Math.min(ds.items.length, samples * 2));
  const order = [...candidates.filter((_, i) => i % 2 === 0), ...candidates.filter((_, i) => i % 2 === 1)];
  for (const idx of order) {
    if (out.clips.length >= samples) break;
    const item = ds.items[idx];
    try {
      const r = await decodeClips(item.path, { starts: [0], frames: T, stride, size: { shortSide } });
      try {
        const [, t, h, w] = r.frames.shape;
        const bytes = r.frames.toTypedArray() as Uint8Array;
        const frames: Buffer[] = [];
        for (let f = 0; f < t; f++) frames.push(encodePng(bytes.subarray(f * h * w * 3, (f + 1) * h * w * 3), w, h));
        out.clips.push({ path: item.path, className: item.label >= 0 ? ds.classes[item.label] : undefined, width: w, height: h, frames });
      } finally {
        r.frames.dispose();
      }
    } catch (e) {
      out.notes.push(`could not decode ${basename(item.path)}: ${(e as Error).message}`);
    }
  }
  if (out.clips.length < samples && out.clips.length < ds.items.length) out.notes.push(`${out.clips.length} of ${samples} sample clips could be decoded`);
  return out;
}
