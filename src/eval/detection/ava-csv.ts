/**
 * Readers for the AVA v2.2 files: annotation CSVs (`video_id,timestamp,x1,y1,x2,y2,action_id,person_id`),
 * prediction CSVs (the same with a score in place of person_id), excluded-timestamp CSVs
 * (`video_id,timestamp`) and the action-list pbtxt. Malformed input throws an Error whose message
 * starts with `file:line:` (1-based).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readFile } from 'node:fs/promises';

/** One annotated person box on one keyframe; the rows that repeat it with other actions are merged. */
export interface AvaGroundTruthBox {
  videoId: string;
  timestamp: number;
  x1: number; y1: number; x2: number; y2: number;
  personId: number;
  labels: number[];
}

/** One (box, action, score) row of a prediction file. */
export interface AvaDetection {
  videoId: string;
  timestamp: number;
  x1: number; y1: number; x2: number; y2: number;
  label: number;
  score: number;
}

/** Action id -> name, in file order. */
export type AvaLabelMap = Map<number, string>;

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
  constructor(text: string, readonly file: string, readonly no: number, columns: number, layout: string) {
    this.f = text.split(',').map((s) => s.trim());
    if (this.f.length !== columns) fail(file, no, `expected ${columns} columns (${layout}), got ${this.f.length}`);
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
    if (!b) this.boxes.set(key, { videoId, timestamp, x1, y1, x2, y2, personId, labels: [label] });
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

// The label map is protobuf text format; only the fields of the AVA action lists are understood.
interface Token { kind: 'word' | 'string' | 'number' | 'punct'; text: string; line: number }

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
const NUMBER = /[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/y;

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '{' || c === '}' || c === ':') { out.push({ kind: 'punct', text: c, line }); i++; continue; }
    if (c === '"' || c === "'") {
      let s = '';
      for (i++; ; i++) {
        const escaped = text[i] === '\\';
        if (escaped) i++;
        else if (text[i] === c) break;
        if (i >= text.length || text[i] === '\n') fail(file, line, 'unterminated string');
        s += escaped ? ESCAPES[text[i]] ?? text[i] : text[i];
      }
      i++;
      out.push({ kind: 'string', text: s, line });
      continue;
    }
    let m: RegExpExecArray | null = null;
    for (const [kind, re] of [['word', WORD], ['number', NUMBER]] as const) {
      re.lastIndex = i;
      if ((m = re.exec(text))) { out.push({ kind, text: m[0], line }); i += m[0].length; break; }
    }
    if (!m) fail(file, line, `unexpected character '${c}'`);
  }
  return out;
}

const show = (t: Token) => (t.kind === 'string' ? JSON.stringify(t.text) : `'${t.text}'`);

/** `item { name: "..." id: N }` blocks (or `label { name: ... label_id: N label_type: T }`), in any layout. */
export function parseAvaLabelMap(text: string, file = '<label map>'): AvaLabelMap {
  const tokens = tokenize(text, file);
  let p = 0;
  const next = (): Token => tokens[p++] ?? fail(file, tokens[tokens.length - 1]?.line ?? 1, 'unexpected end of file');
  const punct = (t: Token | undefined, c: string) => t?.kind === 'punct' && t.text === c;
  const map: AvaLabelMap = new Map();
  const idLines = new Map<number, number>();
  while (p < tokens.length) {
    const head = next();
    if (head.kind !== 'word' || (head.text !== 'item' && head.text !== 'label')) fail(file, head.line, `expected 'item {', got ${show(head)}`);
    if (punct(tokens[p], ':')) p++;
    const open = next();
    if (!punct(open, '{')) fail(file, open.line, `expected '{' after '${head.text}', got ${show(open)}`);
    let name: string | undefined, id: number | undefined, idLine = head.line;
    const seen = new Set<string>();
    for (let k = next(); !punct(k, '}'); k = next()) {
      if (k.kind !== 'word') fail(file, k.line, `expected a field name or '}', got ${show(k)}`);
      const field = k.text === 'label_id' ? 'id' : k.text;
      if (seen.has(field)) fail(file, k.line, `${k.text} given twice in one ${head.text}`);
      seen.add(field);
      const colon = next();
      if (!punct(colon, ':')) fail(file, colon.line, `expected ':' after '${k.text}', got ${show(colon)}`);
      const v = next();
      if (field === 'name' || field === 'display_name') {
        if (v.kind !== 'string') fail(file, v.line, `${k.text} must be a quoted string, got ${show(v)}`);
        if (field === 'name') name = v.text;
      } else if (field === 'id') {
        if (v.kind !== 'number' || !UINT.test(v.text)) fail(file, v.line, `${k.text} must be a non-negative integer, got ${show(v)}`);
        id = Number(v.text);
        idLine = v.line;
      } else if (field === 'label_type') {
        // PERSON_MOVEMENT, OBJECT_MANIPULATION, PERSON_INTERACTION: not needed for scoring.
        if (v.kind !== 'word') fail(file, v.line, `label_type must be a bare word, got ${show(v)}`);
      } else {
        fail(file, k.line, `unknown field '${k.text}' (expected name, id, label_id, label_type or display_name)`);
      }
    }
    if (id === undefined) fail(file, head.line, `${head.text} without an id`);
    if (name === undefined) fail(file, head.line, `${head.text} without a name`);
    if (map.has(id)) fail(file, idLine, `duplicate id ${id} (first at line ${idLines.get(id)})`);
    map.set(id, name);
    idLines.set(id, idLine);
  }
  if (map.size === 0) fail(file, 1, 'no items in the label map');
  return map;
}

export async function readAvaLabelMap(path: string): Promise<AvaLabelMap> {
  return parseAvaLabelMap(await readFile(path, 'utf8'), path);
}
