/**
 * Readers for the AVA v2.2 files: annotation CSVs (`video_id,timestamp,x1,y1,x2,y2,action_id,person_id`),
 * prediction CSVs (the same with a score in place of person_id), excluded-timestamp CSVs
 * (`video_id,timestamp`) and person-box CSVs (a detector's boxes with a score); the action-list
 * pbtxt is read by ava-label-map.ts. Malformed input throws an Error whose message starts with
 * `file:line:` (1-based).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** One annotated person box on one keyframe; the rows that repeat it with other actions are merged. */
export interface AvaGroundTruthBox {
  videoId: string;
  timestamp: number;
  x1: number; y1: number; x2: number; y2: number;
  personId: number;
  labels: number[];
  /** The first row of this box in its file (1-based), for messages. */
  line?: number;
}

/** One (box, action, score) row of a prediction file. */
export interface AvaDetection {
  videoId: string;
  timestamp: number;
  x1: number; y1: number; x2: number; y2: number;
  label: number;
  score: number;
}

export { parseAvaLabelMap, readAvaLabelMap, type AvaLabelMap } from './ava-label-map.js';

/** The key of one keyframe. Timestamps are numbers, so "0902" and "902" name the same frame (as in the official key "%s,%04d"). */
export function frameKey(videoId: string, timestamp: number): string {
  return `${videoId},${timestamp}`;
}

function fail(file: string, line: number, message: string): never {
  throw new Error(`${file}:${line}: ${message}`);
}

// Strict: Number() would accept '', ' ', '0x1f' and 'Infinity'.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const UINT = /^\d+$/;

/** Line-at-a-time parser state shared by the string and the streaming entry points. */
interface LineSink<T> {
  line(text: string, no: number): void;
  done(): T;
}

class Row {
  readonly f: string[];
  constructor(text: string, readonly file: string, readonly no: number, columns: number | readonly number[], layout: string) {
    this.f = text.split(',').map((s) => s.trim());
    const ok = typeof columns === 'number' ? [columns] : columns;
    if (!ok.includes(this.f.length)) fail(file, no, `expected ${ok.join(' or ')} columns (${layout}), got ${this.f.length}`);
  }
  number(i: number, what: string): number {
    const s = this.f[i];
    if (!DECIMAL.test(s)) fail(this.file, this.no, `${what} is not a number: '${s}'`);
    return Number(s);
  }
  uint(i: number, what: string): number {
    const s = this.f[i];
    const n = Number(s);
    if (!UINT.test(s) || !Number.isSafeInteger(n)) fail(this.file, this.no, `${what} is not a non-negative integer: '${s}'`);
    return n;
  }
  videoId(intern: Map<string, string>): string {
    const s = this.f[0];
    if (s === '') fail(this.file, this.no, 'empty video_id');
    // One string per video, so that millions of rows do not each hold their own copy.
    let v = intern.get(s);
    if (v === undefined) intern.set(s, (v = s));
    return v;
  }
  box(): [number, number, number, number] {
    const b: [number, number, number, number] = [this.number(2, 'x1'), this.number(3, 'y1'), this.number(4, 'x2'), this.number(5, 'y2')];
    if (b.some((v) => v < 0 || v > 1)) fail(this.file, this.no, `box ${b.join(',')} is not normalised to [0, 1]`);
    if (b[0] > b[2] || b[1] > b[3]) fail(this.file, this.no, `box ${b.join(',')} has x1 > x2 or y1 > y2`);
    return b;
  }
}

/** Rows whose action is not in `classes` are checked and then dropped (what the official reader's whitelist does). */
export interface AvaReadOptions {
  classes?: ReadonlySet<number> | ReadonlyMap<number, unknown>;
}

class AnnotationSink implements LineSink<AvaGroundTruthBox[]> {
  private readonly boxes = new Map<string, AvaGroundTruthBox>();
  private readonly videos = new Map<string, string>();
  constructor(private readonly file: string, private readonly opts: AvaReadOptions) {}
  line(text: string, no: number): void {
    const r = new Row(text, this.file, no, 8, 'video_id,timestamp,x1,y1,x2,y2,action_id,person_id');
    const videoId = r.videoId(this.videos), timestamp = r.uint(1, 'timestamp');
    const [x1, y1, x2, y2] = r.box();
    const label = r.uint(6, 'action_id'), personId = r.uint(7, 'person_id');
    if (this.opts.classes && !this.opts.classes.has(label)) return;
    const key = `${frameKey(videoId, timestamp)},${x1},${y1},${x2},${y2},${personId}`;
    const b = this.boxes.get(key);
    if (!b) this.boxes.set(key, { videoId, timestamp, x1, y1, x2, y2, personId, labels: [label], line: no });
    // A repeated (box, action) row is the same label again, not a second box.
    else if (!b.labels.includes(label)) b.labels.push(label);
  }
  done(): AvaGroundTruthBox[] {
    return [...this.boxes.values()];
  }
}

class PredictionSink implements LineSink<AvaDetection[]> {
  private readonly out: AvaDetection[] = [];
  private readonly videos = new Map<string, string>();
  constructor(private readonly file: string, private readonly opts: AvaReadOptions) {}
  line(text: string, no: number): void {
    const r = new Row(text, this.file, no, 8, 'video_id,timestamp,x1,y1,x2,y2,action_id,score');
    const videoId = r.videoId(this.videos), timestamp = r.uint(1, 'timestamp');
    const [x1, y1, x2, y2] = r.box();
    const label = r.uint(6, 'action_id'), score = r.number(7, 'score');
    if (this.opts.classes && !this.opts.classes.has(label)) return;
    this.out.push({ videoId, timestamp, x1, y1, x2, y2, label, score });
  }
  done(): AvaDetection[] {
    return this.out;
  }
}

class ExclusionSink implements LineSink<Set<string>> {
  private readonly keys = new Set<string>();
  constructor(private readonly file: string) {}
  line(text: string, no: number): void {
    const r = new Row(text, this.file, no, 2, 'video_id,timestamp');
    this.keys.add(frameKey(r.videoId(new Map()), r.uint(1, 'timestamp')));
  }
  done(): Set<string> {
    return this.keys;
  }
}

/** A person box proposed for a keyframe (by a detector, or ground truth), with its detection score. */
export interface AvaPersonBox {
  videoId: string;
  timestamp: number;
  x1: number; y1: number; x2: number; y2: number;
  score: number;
  line: number;
}

class PersonBoxSink implements LineSink<AvaPersonBox[]> {
  private readonly boxes = new Map<string, AvaPersonBox>();
  private readonly videos = new Map<string, string>();
  constructor(private readonly file: string) {}
  line(text: string, no: number): void {
    // SlowFast's predicted-box files leave the action column empty; a file with actions repeats each box per action.
    const r = new Row(text, this.file, no, [6, 7, 8], 'video_id,timestamp,x1,y1,x2,y2[,action_id],score');
    const videoId = r.videoId(this.videos), timestamp = r.uint(1, 'timestamp');
    const [x1, y1, x2, y2] = r.box();
    const score = r.f.length === 6 ? 1 : r.number(r.f.length - 1, 'score');
    const key = `${frameKey(videoId, timestamp)},${x1},${y1},${x2},${y2}`;
    const b = this.boxes.get(key);
    if (!b) this.boxes.set(key, { videoId, timestamp, x1, y1, x2, y2, score, line: no });
    else b.score = Math.max(b.score, score);
  }
  done(): AvaPersonBox[] {
    return [...this.boxes.values()];
  }
}

function parseText<T>(text: string, sink: LineSink<T>): T {
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() !== '') sink.line(line, i + 1);
  });
  return sink.done();
}

// Streams line by line: prediction files of a full AVA validation run reach hundreds of MB.
async function readLines<T>(path: string, sink: LineSink<T>): Promise<T> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let no = 0;
  for await (let line of rl) {
    if (++no === 1) line = line.replace(/^\uFEFF/, ''); // a byte-order mark from spreadsheet exports
    if (line.trim() !== '') sink.line(line, no);
  }
  return sink.done();
}

/** Annotation rows as merged boxes; `file` only names the source in errors. */
export function parseAvaAnnotations(text: string, file = '<annotations>', opts: AvaReadOptions = {}): AvaGroundTruthBox[] {
  return parseText(text, new AnnotationSink(file, opts));
}

export function readAvaAnnotations(path: string, opts: AvaReadOptions = {}): Promise<AvaGroundTruthBox[]> {
  return readLines(path, new AnnotationSink(path, opts));
}

export function parseAvaPredictions(text: string, file = '<predictions>', opts: AvaReadOptions = {}): AvaDetection[] {
  return parseText(text, new PredictionSink(file, opts));
}

export function readAvaPredictions(path: string, opts: AvaReadOptions = {}): Promise<AvaDetection[]> {
  return readLines(path, new PredictionSink(path, opts));
}

/** Excluded keyframes as a set of {@link frameKey}s. */
export function parseAvaExclusions(text: string, file = '<exclusions>'): Set<string> {
  return parseText(text, new ExclusionSink(file));
}

export function readAvaExclusions(path: string): Promise<Set<string>> {
  return readLines(path, new ExclusionSink(path));
}

/** Person boxes (`video_id,timestamp,x1,y1,x2,y2[,action_id],score`; no score column: 1); repeated boxes keep their best score. */
export function parseAvaPersonBoxes(text: string, file = '<person boxes>'): AvaPersonBox[] {
  return parseText(text, new PersonBoxSink(file));
}

export function readAvaPersonBoxes(path: string): Promise<AvaPersonBox[]> {
  return readLines(path, new PersonBoxSink(path));
}
