/**
 * A small synthetic set in the AVA v2.2 format: short videos with 2-3 "people" (coloured rectangles
 * with a head), each in its own horizontal lane, whose actions are their motion: move left, move
 * right or stand still (exactly one), and pulse (a size oscillation, on top of any of the three), so
 * a person carries one or two labels. Actions change from keyframe to keyframe (each holds from half
 * a second before to half a second after), so a person's look never predicts its labels; colours,
 * sizes, lanes and the background are drawn independently of the actions. Boxes are annotated at
 * 1 fps keyframes (integer seconds, the first and last second left out) as AVA rows.
 *
 * Layout under OUT: videos/<video_id>.mp4 (.avi for mpeg4/mjpeg, .webm for vp9) and annotations/
 * train.csv, val.csv (disjoint videos), action_list.pbtxt, val_excluded_timestamps.csv and
 * val_person_boxes.csv (ground-truth boxes jittered, with a detector-like score, plus a few
 * low-scoring false positives; SlowFast's predicted-box columns: video_id,timestamp,x1,y1,x2,y2,,score).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromTypedArray } from '../torch/creation.js';
import { Rng } from './rng.js';
import { writeVideo, type VideoCodec } from './io.js';

/** Action names; ids are 1-based positions (1 move left ... 4 pulse). */
export const AVA_SYNTH_ACTIONS = ['move left', 'move right', 'stand still', 'pulse'] as const;

export interface AvaSynthOptions {
  out: string;
  /** Videos in all (default 32); the last `valVideos` are the validation set. */
  videos?: number;
  /** Validation videos (default a quarter of `videos`, at least 1). */
  valVideos?: number;
  /** Video length in seconds (default 5: keyframes at 1..4 s). */
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  codec?: VideoCodec;
  /** Pixel noise standard deviation (0-255, default 3). */
  noise?: number;
  seed?: number;
  onVideo?: (done: number, total: number) => void;
}

export interface AvaSynthResult {
  videos: string;
  train: string;
  val: string;
  labelMap: string;
  exclusions: string;
  personBoxes: string;
  trainVideos: number;
  valVideos: number;
  keyframes: { train: number; val: number };
}

type RGB = [number, number, number];
const PALETTE: RGB[] = [[230, 60, 50], [50, 190, 70], [70, 110, 240], [240, 210, 40], [210, 80, 210], [40, 210, 220], [250, 150, 40], [235, 235, 235]];
const LANES = 3;

/**
 * What a person does in one segment: the segment of keyframe k is [k - 0.5, k + 0.5) seconds, so a
 * clip of up to a second centred on a keyframe sees one action only.
 */
interface Segment {
  start: number;
  /** Centre x at the segment's start; velocity in frame widths per second. */
  x: number;
  vx: number;
  motion: 0 | 1 | 2;
  /** Pulse frequency (1 or 2 Hz, so the size is back to normal at the segment's ends) and direction; 0: none. */
  pulseHz: number;
  pulseSign: number;
}

/** One synthetic person: lane, look, and a segment of actions per keyframe. */
export interface AvaSynthPerson {
  color: RGB;
  /** Size as fractions of the frame width and height. */
  w: number;
  h: number;
  y: number;
  segments: Segment[];
}

const PULSE_AMP = 0.3;

function makePeople(rng: Rng, seconds: number): AvaSynthPerson[] {
  const lanes = rng.shuffle([0, 1, 2]).slice(0, 2 + rng.int(2));
  const colors = rng.shuffle([...PALETTE]);
  return lanes.map((lane, i) => {
    const w = rng.uniform(0.12, 0.16), h = rng.uniform(0.19, 0.23);
    const speed = rng.uniform(0.15, 0.2);
    // The centre stays far enough from the edges for the largest pulse.
    const margin = (w * (1 + PULSE_AMP)) / 2 + 0.01;
    let x = rng.uniform(margin, 1 - margin);
    const segments: Segment[] = [];
    for (let k = 0; k <= seconds; k++) {
      const start = Math.max(0, k - 0.5), len = Math.min(seconds, k + 0.5) - start;
      const allowed: (0 | 1 | 2)[] = [2];
      if (x - speed * len >= margin) allowed.push(0);
      if (x + speed * len <= 1 - margin) allowed.push(1);
      const motion = allowed[rng.int(allowed.length)];
      const pulse = rng.bernoulli(0.4);
      const vx = motion === 2 ? 0 : motion === 0 ? -speed : speed;
      segments.push({ start, x, vx, motion, pulseHz: pulse ? 1 + rng.int(2) : 0, pulseSign: rng.bernoulli(0.5) ? 1 : -1 });
      x += vx * len;
    }
    return { color: colors[i], w, h, y: (lane + 0.5) / LANES + rng.uniform(-0.01, 0.01), segments };
  });
}

const segmentAt = (p: AvaSynthPerson, t: number) => p.segments[Math.min(p.segments.length - 1, Math.max(0, Math.floor(t + 0.5)))];

/** The person's box at time t (seconds), normalised [x1, y1, x2, y2]. */
function boxAt(p: AvaSynthPerson, t: number): [number, number, number, number] {
  const g = segmentAt(p, t);
  const s = 1 + (g.pulseHz ? g.pulseSign * PULSE_AMP * Math.sin(2 * Math.PI * g.pulseHz * (t - g.start)) : 0);
  const x = g.x + g.vx * (t - g.start), hw = (p.w * s) / 2, hh = (p.h * s) / 2;
  return [x - hw, p.y - hh, x + hw, p.y + hh];
}

/** Action ids at keyframe k (1-based positions in AVA_SYNTH_ACTIONS). */
function actionsAt(p: AvaSynthPerson, k: number): number[] {
  const g = p.segments[k];
  return g.pulseHz ? [g.motion + 1, 4] : [g.motion + 1];
}

/** Fraction of pixel [i, i + 1) covered by [a, b) (anti-aliased edges, so sub-pixel motion is visible). */
const cover = (i: number, a: number, b: number) => Math.max(0, Math.min(i + 1, b) - Math.max(i, a));

/** Renders uint8 RGB frames [T, H, W, 3]: a static striped background, the people, pixel noise. */
function renderAvaVideo(people: readonly AvaSynthPerson[], o: { frames: number; width: number; height: number; fps: number; noise: number }, rng: Rng): Uint8Array {
  const { frames: T, width: W, height: H } = o;
  const bg: RGB = [30 + rng.int(40), 30 + rng.int(40), 30 + rng.int(40)];
  const stripes = rng.uniform(3, 8), phase = rng.uniform(0, Math.PI);
  const back = new Float32Array(H * W * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = 0.8 + 0.2 * Math.sin((x / W) * stripes * Math.PI + phase);
      for (let c = 0; c < 3; c++) back[(y * W + x) * 3 + c] = bg[c] * s;
    }
  }
  const out = new Uint8Array(T * H * W * 3);
  const img = new Float32Array(H * W * 3);
  let noiseState = rng.nextU32() | 1;
  const noiseAmp = o.noise * Math.sqrt(3); // uniform noise with this standard deviation
  for (let f = 0; f < T; f++) {
    img.set(back);
    for (const p of people) {
      const [x1, y1, x2, y2] = boxAt(p, f / o.fps);
      const px1 = x1 * W, px2 = x2 * W, py1 = y1 * H, py2 = y2 * H;
      // The top quarter is a head, half as wide and lighter: a person-like blob, not a plain block.
      const headBottom = py1 + (py2 - py1) * 0.28, headL = px1 + (px2 - px1) * 0.25, headR = px2 - (px2 - px1) * 0.25;
      const head = p.color.map((c) => Math.min(255, c * 0.6 + 100));
      for (let y = Math.max(0, Math.floor(py1)); y < Math.min(H, Math.ceil(py2)); y++) {
        const cyHead = cover(y, py1, headBottom), cyBody = cover(y, headBottom, py2);
        for (let x = Math.max(0, Math.floor(px1)); x < Math.min(W, Math.ceil(px2)); x++) {
          const aHead = cyHead * cover(x, headL, headR), aBody = cyBody * cover(x, px1, px2);
          const i = (y * W + x) * 3;
          for (let c = 0; c < 3; c++) img[i + c] = img[i + c] * (1 - aHead - aBody) + head[c] * aHead + p.color[c] * aBody;
        }
      }
    }
    const base = f * H * W * 3;
    for (let i = 0; i < img.length; i++) {
      noiseState = (Math.imul(noiseState, 1664525) + 1013904223) >>> 0;
      out[base + i] = Math.max(0, Math.min(255, Math.round(img[i] + noiseAmp * ((noiseState / 4294967296) * 2 - 1))));
    }
  }
  return out;
}

/**
 * Video `index` of a set with this seed: its people (with their actions per keyframe) and its uint8
 * RGB frames [seconds * fps, height, width, 3]; a pure function of its arguments.
 */
export function avaSynthVideo(seed: number, index: number, o: { seconds: number; width: number; height: number; fps: number; noise: number }): { people: AvaSynthPerson[]; rgb: Uint8Array } {
  const rng = Rng.from(seed, 0xa7a, index);
  const people = makePeople(rng, o.seconds);
  return { people, rgb: renderAvaVideo(people, { ...o, frames: o.seconds * o.fps }, rng) };
}

const ts = (t: number) => String(t).padStart(4, '0');
const num = (v: number) => Math.min(1, Math.max(0, v)).toFixed(3);

/** Writes the set (see the file comment for the layout); a pure function of the options and seed. */
export async function synthesizeAva(o: AvaSynthOptions): Promise<AvaSynthResult> {
  const n = o.videos ?? 32, seconds = o.seconds ?? 5, W = o.width ?? 96, H = o.height ?? 72, fps = o.fps ?? 25;
  const nVal = o.valVideos ?? Math.max(1, Math.round(n / 4)), noise = o.noise ?? 3, seed = o.seed ?? 0;
  const codec = o.codec ?? 'h264';
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`videos must be an integer >= 2, got ${n}`);
  if (!Number.isInteger(nVal) || nVal < 1 || nVal >= n) throw new RangeError(`valVideos must be an integer in [1, ${n - 1}], got ${nVal}`);
  if (!Number.isInteger(seconds) || seconds < 3) throw new RangeError(`seconds must be an integer >= 3 (keyframes at 1 .. seconds-1), got ${seconds}`);
  for (const [k, v] of [['width', W], ['height', H]] as const) {
    if (!Number.isInteger(v) || v < 32 || v % 2) throw new RangeError(`${k} must be an even integer >= 32, got ${v}`);
  }
  if (!Number.isInteger(fps) || fps < 1) throw new RangeError(`fps must be a positive integer, got ${fps}`);
  if (!(noise >= 0 && noise <= 100)) throw new RangeError(`noise must be in [0, 100], got ${noise}`);
  const ext = codec === 'vp9' ? 'webm' : codec === 'mpeg4' || codec === 'mjpeg' ? 'avi' : 'mp4';
  const videos = join(o.out, 'videos'), ann = join(o.out, 'annotations');
  mkdirSync(videos, { recursive: true });
  mkdirSync(ann, { recursive: true });
  const rows = { train: [] as string[], val: [] as string[], excluded: [] as string[], person: [] as string[] };
  const keyframes = { train: 0, val: 0 };
  for (let v = 0; v < n; v++) {
    const id = `vid${String(v).padStart(3, '0')}`;
    const isVal = v >= n - nVal;
    const { people, rgb } = avaSynthVideo(seed, v, { seconds, width: W, height: H, fps, noise });
    const t = fromTypedArray(rgb, [seconds * fps, H, W, 3]);
    try {
      await writeVideo(join(videos, `${id}.${ext}`), t, { fps, codec, gop: 12 });
    } finally {
      t.dispose();
    }
    const boxRng = Rng.from(seed, 0xb0c, v);
    for (let sec = 1; sec < seconds; sec++) {
      // The keyframe shows frame sec * fps exactly (keyframeIndex), so its box is that frame's.
      people.forEach((p, pid) => {
        const b = boxAt(p, sec);
        for (const a of actionsAt(p, sec)) (isVal ? rows.val : rows.train).push(`${id},${ts(sec)},${b.map(num).join(',')},${a},${pid}`);
        if (isVal) {
          const j = b.map((c) => c + boxRng.uniform(-0.01, 0.01));
          rows.person.push(`${id},${ts(sec)},${j.map(num).join(',')},,${boxRng.uniform(0.9, 1).toFixed(4)}`);
        }
      });
      if (isVal && sec % 3 === 0) {
        // A detector's low-scoring false positive somewhere in the background.
        const x = boxRng.uniform(0, 0.8), y = boxRng.uniform(0, 0.7);
        rows.person.push(`${id},${ts(sec)},${num(x)},${num(y)},${num(x + 0.15)},${num(y + 0.25)},,${boxRng.uniform(0.05, 0.5).toFixed(4)}`);
      }
      if (isVal && (v - (n - nVal)) % 4 === 0 && sec === 2) rows.excluded.push(`${id},${ts(sec)}`);
      if (isVal) keyframes.val++;
      else keyframes.train++;
    }
    o.onVideo?.(v + 1, n);
  }
  const file = (name: string, lines: string[]) => {
    writeFileSync(join(ann, name), lines.length ? `${lines.join('\n')}\n` : '');
    return join(ann, name);
  };
  const labelMap = AVA_SYNTH_ACTIONS.map((name, i) => `item {\n  name: "${name}"\n  id: ${i + 1}\n}`);
  return {
    videos,
    train: file('train.csv', rows.train),
    val: file('val.csv', rows.val),
    labelMap: file('action_list.pbtxt', labelMap),
    exclusions: file('val_excluded_timestamps.csv', rows.excluded),
    personBoxes: file('val_person_boxes.csv', rows.person),
    trainVideos: n - nVal,
    valVideos: nVal,
    keyframes,
  };
}
