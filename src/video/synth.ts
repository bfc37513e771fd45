/**
 * Synthetic motion datasets: real encoded videos of one moving object whose class is defined only
 * by its motion. Shape, colours, background, position, size and speed are drawn per video from
 * pools shared by every class, so neither a single frame nor appearance identifies the class.
 * The motions survive CVRL's augmentations: no class depends on direction (left vs right, clockwise
 * vs counter-clockwise), which a horizontal flip would swap.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromTypedArray } from '../torch/creation.js';
import { Rng } from './rng.js';
import { writeVideo, type VideoCodec } from './io.js';
import { DIRECTIONAL_CLASSES, UNDIRECTED_CLASSES, groupLook, undirectedLook, renderScene, inside, type Shape } from './synth-scene.js';
import { VERTICAL_CLASSES } from './synth-motions-vertical.js';
import { type Pose } from './synth-pose.js';
import { namingOptions } from '../util/option-error.js';

export const MOTION_CLASSES = ['Translate', 'Rotate', 'Pulse', 'Orbit', 'Oscillate', 'Still', 'Accelerate', 'Spiral'] as const;

export const SCENE_MOTIONS = { mirror: DIRECTIONAL_CLASSES, undirected: UNDIRECTED_CLASSES, vertical: VERTICAL_CLASSES } as const;
export type SceneMotions = keyof typeof SCENE_MOTIONS;

export interface SynthOptions {
  out: string;
  format: 'ucf101' | 'hmdb51' | 'kinetics' | 'folder' | 'list';
  classes?: number;
  videosPerClass?: number;
  frames?: number;
  /** Frame side (square frames). */
  size?: number;
  fps?: number;
  codec?: VideoCodec;
  seed?: number;
  /**
   * Number of distinct looks (shape, colours, background) shared by all videos. Kept small on
   * purpose: when a look is unique to a video, contrastive learning tells videos apart by look and
   * learns no motion.
   */
  appearances?: number;
  /**
   * 'hard': the group-split scenes of synth-scene.ts (one look per group, 25 groups with UCF-101's
   * split rule, distractors, shake, noise, width x height frames whose length varies from `frames`
   * to 1.5 x `frames`). Default 'simple': one object on few shared looks.
   */
  scene?: 'simple' | 'hard';
  /**
   * hard: the class set. 'mirror' (default, the demo's data): mirror pairs, so a flip changes the
   * label. 'undirected': UNDIRECTED_CLASSES, directions drawn per video. 'vertical':
   * VERTICAL_CLASSES (up vs down, approaching vs receding, motion profiles), a held-out benchmark.
   */
  motions?: SceneMotions;
  /** hard: frame width and height (default 160 x 120). */
  width?: number;
  height?: number;
  /** hard: distractor objects per video, camera shake in pixels, pixel noise sigma (defaults 2, 2, 6). */
  distractors?: number;
  shake?: number;
  noise?: number;
  /** Called after each video (for progress). */
  onVideo?: (done: number, total: number) => void;
}

const SHAPES: Shape[] = ['square', 'triangle', 'cross', 'L', 'bar'];
const SIMPLE_BAR_HALF_HEIGHT = 0.3;
const PALETTE: [number, number, number][] = [
  [230, 60, 50], [50, 170, 70], [60, 90, 220], [240, 200, 40], [200, 70, 200], [40, 200, 210], [250, 140, 30], [240, 240, 240],
];

/** Object pose at time t in [0, 1] for a motion class; p holds the per-video random parameters. */
function pose(cls: string, t: number, p: Record<string, number>): Pose {
  const base: Pose = { x: p.x0, y: p.y0, angle: p.a0, scale: p.s0 };
  switch (cls) {
    case 'Translate': return { ...base, x: p.x0 + p.dx * t, y: p.y0 + p.dy * t };
    case 'Rotate': return { ...base, angle: p.a0 + p.spin * t * Math.PI * 2 };
    case 'Pulse': return { ...base, scale: p.s0 * (1 + 0.45 * Math.sin(2 * Math.PI * p.cycles * t + p.phase)) };
    case 'Orbit': {
      const a = p.phase + p.dir * 2 * Math.PI * p.cycles * t;
      return { ...base, x: 0.5 + p.radius * Math.cos(a), y: 0.5 + p.radius * Math.sin(a) };
    }
    case 'Oscillate': {
      const d = Math.sin(2 * Math.PI * p.cycles * t + p.phase) * p.amp;
      return { ...base, x: 0.5 + d * Math.cos(p.axis), y: 0.5 + d * Math.sin(p.axis) };
    }
    case 'Still': return base;
    case 'Accelerate': return { ...base, x: p.x0 + p.dx * t * t, y: p.y0 + p.dy * t * t };
    case 'Spiral': {
      const a = p.phase + p.dir * 2 * Math.PI * p.cycles * t;
      const r = p.radius * (0.25 + 0.75 * t);
      return { ...base, x: 0.5 + r * Math.cos(a), y: 0.5 + r * Math.sin(a), angle: a };
    }
    default: throw new Error(`unknown motion class ${cls}`);
  }
}

/**
 * Per-video motion parameters. Static attributes (size, orientation, resting position) come from
 * tiny shared sets: a static attribute unique to a video would let contrastive learning tell videos
 * apart without looking at motion.
 */
function motionParams(cls: string, rng: Rng): Record<string, number> {
  const dir = rng.bernoulli(0.5) ? 1 : -1;
  const heading = rng.uniform(0, 2 * Math.PI);
  const dist = rng.uniform(0.35, 0.55);
  const p: Record<string, number> = {
    x0: 0.5, y0: 0.5, a0: rng.bernoulli(0.5) ? 0 : Math.PI / 4, s0: 0.13,
    dir, spin: dir * rng.uniform(0.6, 1.2), cycles: rng.uniform(1, 2), phase: rng.uniform(0, 2 * Math.PI),
    radius: rng.uniform(0.18, 0.28), amp: rng.uniform(0.18, 0.28), axis: heading,
    dx: Math.cos(heading) * dist, dy: Math.sin(heading) * dist,
  };
  if (cls === 'Translate' || cls === 'Accelerate') {
    // Start so that the path stays inside the frame.
    p.x0 = 0.5 - p.dx / 2;
    p.y0 = 0.5 - p.dy / 2;
  }
  return p;
}

interface Look {
  shape: Shape;
  fg: [number, number, number];
  bg: [number, number, number];
  texture: number;
  stripes: number;
  stripeAngle: number;
}

/** The shared pool of looks for a dataset (a pure function of the seed and the pool size). */
export function appearancePool(count: number, seed: number): Look[] {
  const rng = Rng.from(seed, 0xa99);
  return Array.from({ length: count }, (_, i) => {
    const fgIndex = (i * 3 + rng.int(2)) % PALETTE.length;
    const bgIndex = (fgIndex + 1 + rng.int(PALETTE.length - 1)) % PALETTE.length;
    return {
      shape: SHAPES[i % SHAPES.length], fg: PALETTE[fgIndex], bg: PALETTE[bgIndex].map((c) => Math.round(c * 0.35)) as [number, number, number],
      texture: rng.int(3), stripes: rng.uniform(3, 9), stripeAngle: rng.uniform(0, Math.PI),
    };
  });
}

/** Renders one video as uint8 RGB frames [T, S, S, 3] with a look from the shared pool. */
export function renderVideo(cls: string, frames: number, size: number, rng: Rng, pool: Look[] = appearancePool(4, 0)): Uint8Array {
  const { shape, fg, bg, texture, stripes, stripeAngle } = pool[rng.int(pool.length)];
  const p = motionParams(cls, rng);
  const out = new Uint8Array(frames * size * size * 3);
  const cosS = Math.cos(stripeAngle), sinS = Math.sin(stripeAngle);
  for (let f = 0; f < frames; f++) {
    const q = pose(cls, frames > 1 ? f / (frames - 1) : 0, p);
    const ca = Math.cos(q.angle), sa = Math.sin(q.angle);
    for (let yy = 0; yy < size; yy++) {
      for (let xx = 0; xx < size; xx++) {
        const u = (xx + 0.5) / size, v = (yy + 0.5) / size;
        const dx = (u - q.x) / q.scale, dy = (v - q.y) / q.scale;
        const lx = ca * dx + sa * dy, ly = -sa * dx + ca * dy;
        const i = ((f * size + yy) * size + xx) * 3;
        if (inside(shape, lx, ly, SIMPLE_BAR_HALF_HEIGHT)) {
          out[i] = fg[0]; out[i + 1] = fg[1]; out[i + 2] = fg[2];
        } else {
          // Static background texture (shared pool): flat, stripes or checks.
          const s = texture === 0 ? 1 : texture === 1 ? 0.75 + 0.25 * Math.sign(Math.sin((u * cosS + v * sinS) * stripes * Math.PI))
            : 0.75 + 0.25 * Math.sign(Math.sin(u * stripes * Math.PI) * Math.sin(v * stripes * Math.PI));
          out[i] = bg[0] * s; out[i + 1] = bg[1] * s; out[i + 2] = bg[2] * s;
        }
      }
    }
  }
  return out;
}

/** Writes a synthetic dataset in the given layout with its annotation files; returns the class names. */
export async function synthesizeDataset(o: SynthOptions): Promise<{ classes: string[]; videos: number; annotations: string }> {
  const hard = o.scene === 'hard';
  if (o.motions !== undefined && !(hard && Object.hasOwn(SCENE_MOTIONS, o.motions))) {
    throw namingOptions(new RangeError(`motions must be ${Object.keys(SCENE_MOTIONS).join(', ')} with the hard scene, got ${o.motions} with ${o.scene ?? 'simple'}`), 'motions');
  }
  const allClasses: readonly string[] = hard ? SCENE_MOTIONS[o.motions ?? 'mirror'] : MOTION_CLASSES;
  const nClasses = o.classes ?? (hard ? allClasses.length : 6), per = o.videosPerClass ?? (hard ? 50 : 12);
  const frames = o.frames ?? (hard ? 50 : 40), size = o.size ?? 64;
  const fps = o.fps ?? 25, seed = o.seed ?? 0;
  const pool = appearancePool(o.appearances ?? 4, seed);
  if (!Number.isInteger(nClasses) || nClasses < 2 || nClasses > allClasses.length) throw namingOptions(new RangeError(`classes must be 2..${allClasses.length}, got ${nClasses}`), 'classes');
  if (!Number.isInteger(per) || per < 3) throw namingOptions(new RangeError(`videosPerClass must be an integer >= 3, got ${per}`), 'videosPerClass');
  if (!Number.isInteger(size) || size < 16 || size % 2) throw namingOptions(new RangeError(`size must be an even integer >= 16, got ${size}`), 'size');
  if (!Number.isInteger(frames) || frames < 2) throw namingOptions(new RangeError(`frames must be an integer >= 2, got ${frames}`), 'frames');
  const scene = { width: o.width ?? 160, height: o.height ?? 120, distractors: o.distractors ?? 2, shake: o.shake ?? 2, noise: o.noise ?? 6 };
  for (const k of ['width', 'height'] as const) {
    if (!Number.isInteger(scene[k]) || scene[k] < 16 || scene[k] % 2) throw namingOptions(new RangeError(`${k} must be an even integer >= 16, got ${scene[k]}`), k);
  }
  for (const k of ['distractors', 'shake', 'noise'] as const) {
    if (!(scene[k] >= 0 && scene[k] <= 100)) throw namingOptions(new RangeError(`${k} must be in [0, 100], got ${scene[k]}`), k);
  }
  const codec = o.codec ?? (o.format === 'ucf101' || o.format === 'hmdb51' ? 'mpeg4' : 'h264');
  const ext = o.format === 'kinetics' ? 'mp4' : codec === 'vp9' ? 'webm' : codec === 'mpeg4' || codec === 'mjpeg' ? 'avi' : 'mp4';
  const classes = allClasses.slice(0, nClasses) as string[];
  mkdirSync(o.out, { recursive: true });
  // UCF-style groups; splits hold out whole groups. Hard: 25 groups (fewer when there are fewer
  // videos per class), split s tests on the s-th 7/25 of them.
  const groups = hard ? Math.min(25, per) : 5;
  const held = hard ? Math.max(1, Math.round((groups * 7) / 25)) : 1;
  const isTest = (g: number, split: number) => g > held * (split - 1) && g <= held * split;
  // Discs become crosses in every set but the mirror one, whose renderings predate the others.
  const sceneLook = (g: number) => ((o.motions ?? 'mirror') !== 'mirror' ? undirectedLook(groupLook(seed, g)) : groupLook(seed, g));
  const made: { cls: number; group: number; rel: string; name: string }[] = [];
  let done = 0;
  const total = nClasses * per;
  for (let c = 0; c < nClasses; c++) {
    for (let k = 0; k < per; k++) {
      const group = (k % groups) + 1, clip = Math.floor(k / groups) + 1;
      const name = `v_${classes[c]}_g${String(group).padStart(2, '0')}_c${String(clip).padStart(2, '0')}`;
      const dir = o.format === 'kinetics' ? join('train', classes[c]) : classes[c];
      const file = o.format === 'kinetics' ? `${name}_${String(0).padStart(6, '0')}_${String(10).padStart(6, '0')}.${ext}` : `${name}.${ext}`;
      mkdirSync(join(o.out, dir), { recursive: true });
      const rng = Rng.from(seed, c, k);
      const T = hard ? frames + rng.int(Math.floor(frames / 2) + 1) : frames;
      const [H, W] = hard ? [scene.height, scene.width] : [size, size];
      const rgb = hard ? renderScene(classes[c], sceneLook(group), { ...scene, frames: T }, rng) : renderVideo(classes[c], frames, size, rng, pool);
      const t = fromTypedArray(rgb, [T, H, W, 3]);
      try {
        await writeVideo(join(o.out, dir, file), t, { fps, codec, gop: 12 });
      } finally {
        t.dispose();
      }
      made.push({ cls: c, group, rel: `${dir}/${file}`, name });
      o.onVideo?.(++done, total);
    }
  }
  const ann = join(o.out, 'annotations');
  mkdirSync(ann, { recursive: true });
  if (o.format === 'ucf101') {
    writeFileSync(join(ann, 'classInd.txt'), classes.map((c, i) => `${i + 1} ${c}`).join('\n') + '\n');
    for (const s of [1, 2, 3]) {
      writeFileSync(join(ann, `trainlist0${s}.txt`), made.filter((m) => !isTest(m.group, s)).map((m) => `${m.rel} ${m.cls + 1}`).join('\n') + '\n');
      writeFileSync(join(ann, `testlist0${s}.txt`), made.filter((m) => isTest(m.group, s)).map((m) => m.rel).join('\n') + '\n');
    }
  } else if (o.format === 'hmdb51') {
    for (const s of [1, 2, 3]) {
      classes.forEach((c, ci) => {
        const rows = made.filter((m) => m.cls === ci).map((m) => `${m.rel.split('/')[1]} ${isTest(m.group, s) ? 2 : 1}`);
        writeFileSync(join(ann, `${c}_test_split${s}.txt`), rows.join('\n') + '\n');
      });
    }
  } else if (o.format === 'kinetics') {
    const rows = made.map((m) => `${classes[m.cls]},${m.name},0,10,train`);
    writeFileSync(join(ann, 'train.csv'), ['label,youtube_id,time_start,time_end,split', ...rows].join('\n') + '\n');
  } else if (o.format === 'list') {
    writeFileSync(join(ann, 'list.csv'), ['path,label', ...made.map((m) => `${m.rel},${classes[m.cls]}`)].join('\n') + '\n');
  }
  const annotations = o.format === 'kinetics' ? join(ann, 'train.csv') : o.format === 'list' ? join(ann, 'list.csv') : ann;
  return { classes, videos: made.length, annotations };
}
