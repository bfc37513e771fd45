/**
 * The hard synthetic benchmark's renderer: scenes closer to real footage than the demo's. Classes
 * differ only in motion and include mirror pairs (left vs right, clockwise vs counter-clockwise),
 * so a horizontal flip changes the label. Each group of videos (UCF-101's actor/scene) has its own
 * look (shape, colours, background), shared by every class, and evaluation splits hold out whole
 * groups: test videos show looks never seen in training. Distractor objects drift, the camera
 * shakes, pixels carry noise, and frames are wider than tall and larger than a training crop.
 */
import { Rng } from './rng.js';
import { VERTICAL_CLASSES, verticalParams, verticalPose } from './synth-motions-vertical.js';
import { type Pose } from './synth-pose.js';

export const DIRECTIONAL_CLASSES = ['MoveLeft', 'MoveRight', 'RotateCW', 'RotateCCW', 'OrbitCW', 'OrbitCCW', 'Pulse', 'Oscillate'] as const;

export interface SceneOptions {
  width: number;
  height: number;
  frames: number;
  /** Drifting distractor objects per video. */
  distractors: number;
  /** Camera shake amplitude in pixels. */
  shake: number;
  /** Pixel noise standard deviation (0-255 scale). */
  noise: number;
}

export type Shape = 'square' | 'triangle' | 'cross' | 'L' | 'bar' | 'disc';
const SHAPES: Shape[] = ['square', 'triangle', 'cross', 'L', 'bar', 'disc'];
type RGB = [number, number, number];

/** Inside test for a unit shape centred at the origin (coordinates in [-1, 1]); both synthetic scenes use it. */
export function inside(shape: Shape, x: number, y: number, barHalfHeight = 0.35): boolean {
  const ax = Math.abs(x), ay = Math.abs(y);
  switch (shape) {
    case 'square': return ax <= 0.8 && ay <= 0.8;
    case 'triangle': return y <= 0.8 && y >= -0.8 && ax <= (0.8 - y) * 0.6;
    case 'cross': return (ax <= 0.3 && ay <= 1) || (ay <= 0.3 && ax <= 1);
    case 'L': return (x >= -0.8 && x <= -0.3 && ay <= 0.9) || (y >= 0.4 && y <= 0.9 && x >= -0.8 && x <= 0.7);
    case 'bar': return ax <= 1 && ay <= barHalfHeight;
    case 'disc': return x * x + y * y <= 0.8;
  }
}

function hsv(h: number, s: number, v: number): RGB {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** A group's look: a pure function of the dataset seed and the group number. */
export interface GroupLook {
  shape: Shape;
  fg: RGB;
  bg: RGB;
  bg2: RGB;
  texture: number;
  stripes: number;
  stripeAngle: number;
  scale: number;
}

export function groupLook(seed: number, group: number): GroupLook {
  const rng = Rng.from(seed, group, 0x100c);
  const hue = rng.next();
  const bgHue = (hue + rng.uniform(0.25, 0.75)) % 1;
  return {
    shape: SHAPES[rng.int(SHAPES.length)],
    fg: hsv(hue, rng.uniform(0.5, 1), rng.uniform(0.7, 1)),
    bg: hsv(bgHue, rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.45)),
    bg2: hsv((bgHue + rng.uniform(-0.1, 0.1) + 1) % 1, rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.6)),
    texture: rng.int(3), stripes: rng.uniform(3, 10), stripeAngle: rng.uniform(0, Math.PI),
    scale: rng.uniform(0.1, 0.15),
  };
}

/** Main object pose at time t in [0, 1] (x, y in units of the frame height, so paths keep their shape). */
function pose(cls: string, t: number, p: Record<string, number>, aspect: number): Pose {
  const base: Pose = { x: p.x0 * aspect, y: p.y0, angle: p.a0, scale: p.s0 };
  const dir = cls.endsWith('CCW') ? -1 : 1;
  switch (cls) {
    case 'MoveLeft':
    case 'MoveRight': {
      const sign = cls === 'MoveRight' ? 1 : -1;
      return { ...base, x: (0.5 + sign * p.dist * (t - 0.5)) * aspect, y: p.y0 + p.slope * p.dist * (t - 0.5) };
    }
    case 'RotateCW':
    case 'RotateCCW': return { ...base, angle: p.a0 + dir * p.spin * t * Math.PI * 2 };
    case 'OrbitCW':
    case 'OrbitCCW': {
      const a = p.phase + dir * 2 * Math.PI * p.cycles * t;
      return { ...base, x: base.x + p.radius * Math.cos(a), y: base.y + p.radius * Math.sin(a) };
    }
    case 'Pulse': return { ...base, scale: p.s0 * (1 + 0.45 * Math.sin(2 * Math.PI * p.cycles * t + p.phase)) };
    case 'Oscillate': {
      const d = Math.sin(2 * Math.PI * p.cycles * t * 1.5 + p.phase) * p.amp;
      return { ...base, x: base.x + d * Math.cos(p.axis), y: base.y + d * Math.sin(p.axis) };
    }
    default: return (VERTICAL_CLASSES as readonly string[]).includes(cls) ? verticalPose(cls, t, p, base) : undirectedPose(cls, t, p, base);
  }
}

/**
 * Flip-invariant motions for scenes: directions are drawn per video, so a flip keeps the class, and
 * each class shows within a fraction of the video (a training clip sees about a quarter of it).
 */
export const UNDIRECTED_CLASSES = ['Translate', 'Rotate', 'Pulse', 'Orbit', 'Oscillate', 'Still', 'Blink', 'Vibrate'] as const;

function undirectedPose(cls: string, t: number, p: Record<string, number>, base: Pose): Pose {
  switch (cls) {
    case 'Still': return base;
    case 'Translate': return { ...base, x: base.x + Math.cos(p.heading) * p.dist * (t - 0.5), y: base.y + Math.sin(p.heading) * p.dist * (t - 0.5) };
    case 'Rotate': return { ...base, angle: p.a0 + p.dir * p.spin * t * Math.PI * 2 };
    case 'Orbit': {
      const a = p.phase + p.dir * 2 * Math.PI * p.cycles * t;
      return { ...base, x: base.x + p.radius * Math.cos(a), y: base.y + p.radius * Math.sin(a) };
    }
    // Off for about a third of each cycle.
    case 'Blink': return Math.sin(2 * Math.PI * p.blinks * t + p.phase) < -0.5 ? { ...base, scale: 0 } : base;
    case 'Vibrate': {
      const d = Math.sin(2 * Math.PI * p.shakes * t + p.phase) * p.jitter;
      return { ...base, x: base.x + d * Math.cos(p.heading), y: base.y + d * Math.sin(p.heading) };
    }
    default: throw new Error(`unknown motion class ${cls}`);
  }
}

/** Rotation of a disc is invisible: scenes of undirected and vertical motions draw a cross instead. */
export function undirectedLook(look: GroupLook): GroupLook {
  return look.shape === 'disc' ? { ...look, shape: 'cross' } : look;
}

function motionParams(cls: string, look: GroupLook, rng: Rng): Record<string, number> {
  const p: Record<string, number> = {
    x0: rng.uniform(0.4, 0.6), y0: rng.uniform(0.35, 0.65), a0: rng.uniform(0, Math.PI), s0: look.scale * rng.uniform(0.85, 1.15),
    dist: rng.uniform(0.5, 0.7), slope: rng.uniform(-0.4, 0.4),
    spin: rng.uniform(0.6, 1.2), cycles: rng.uniform(0.8, 1.5), phase: rng.uniform(0, 2 * Math.PI),
    radius: rng.uniform(0.15, 0.25), amp: rng.uniform(0.15, 0.25), axis: rng.uniform(0, Math.PI),
  };
  // Drawn only for the other sets, so each set renders as before for every seed.
  if ((VERTICAL_CLASSES as readonly string[]).includes(cls)) return { ...p, ...verticalParams(rng) };
  if (!(DIRECTIONAL_CLASSES as readonly string[]).includes(cls)) {
    p.dir = rng.bernoulli(0.5) ? 1 : -1;
    p.heading = rng.uniform(0, 2 * Math.PI);
    p.dist = rng.uniform(0.45, 0.6);
    p.blinks = rng.uniform(3, 4);
    p.shakes = rng.uniform(6, 9);
    p.jitter = rng.uniform(0.03, 0.05);
  }
  return p;
}

interface Distractor { shape: Shape; color: RGB; x: number; y: number; vx: number; vy: number; scale: number }

/** Renders one video as uint8 RGB frames [T, H, W, 3]. */
export function renderScene(cls: string, look: GroupLook, o: SceneOptions, rng: Rng): Uint8Array {
  const { width: W, height: H, frames: T } = o;
  const aspect = W / H;
  const p = motionParams(cls, look, rng);
  const distractors: Distractor[] = Array.from({ length: o.distractors }, () => ({
    shape: SHAPES[rng.int(SHAPES.length)], color: hsv(rng.next(), rng.uniform(0.2, 0.9), rng.uniform(0.35, 0.8)),
    x: rng.uniform(0.1, 0.9) * aspect, y: rng.uniform(0.1, 0.9), vx: rng.uniform(-0.15, 0.15), vy: rng.uniform(-0.15, 0.15),
    scale: rng.uniform(0.05, 0.09),
  }));
  // Smooth shake: two sinusoids per axis with random phases.
  const sh = [rng.uniform(0, 6.3), rng.uniform(0, 6.3), rng.uniform(0, 6.3), rng.uniform(0, 6.3)];
  let noiseState = rng.nextU32() | 1;
  const noiseAmp = o.noise * Math.sqrt(3); // uniform noise with standard deviation o.noise
  const out = new Uint8Array(T * H * W * 3);
  const cosS = Math.cos(look.stripeAngle), sinS = Math.sin(look.stripeAngle);
  const px = new Float64Array(3);
  for (let f = 0; f < T; f++) {
    const t = T > 1 ? f / (T - 1) : 0;
    const q = pose(cls, t, p, aspect);
    const ca = Math.cos(q.angle), sa = Math.sin(q.angle);
    const ox = o.shake * (0.6 * Math.sin(f * 0.7 + sh[0]) + 0.4 * Math.sin(f * 1.9 + sh[1])) / H;
    const oy = o.shake * (0.6 * Math.sin(f * 0.8 + sh[2]) + 0.4 * Math.sin(f * 2.3 + sh[3])) / H;
    const ds = distractors.map((d) => ({ ...d, x: d.x + d.vx * t, y: d.y + d.vy * t }));
    for (let yy = 0; yy < H; yy++) {
      for (let xx = 0; xx < W; xx++) {
        const u = (xx + 0.5) / H + ox, v = (yy + 0.5) / H + oy;
        const dx = (u - q.x) / q.scale, dy = (v - q.y) / q.scale;
        if (q.scale > 0 && inside(look.shape, ca * dx + sa * dy, -sa * dx + ca * dy)) {
          px[0] = look.fg[0]; px[1] = look.fg[1]; px[2] = look.fg[2];
        } else {
          let hit = false;
          for (const d of ds) {
            if (inside(d.shape, (u - d.x) / d.scale, (v - d.y) / d.scale)) {
              px[0] = d.color[0]; px[1] = d.color[1]; px[2] = d.color[2];
              hit = true;
              break;
            }
          }
          if (!hit) {
            const on = look.texture === 0 ? false // flat
              : look.texture === 1 ? Math.sin((u * cosS + v * sinS) * look.stripes * Math.PI) > 0
                : Math.sin(u * look.stripes * Math.PI) * Math.sin(v * look.stripes * Math.PI) > 0;
            const c = on ? look.bg2 : look.bg;
            px[0] = c[0]; px[1] = c[1]; px[2] = c[2];
          }
        }
        const i = ((f * H + yy) * W + xx) * 3;
        for (let ch = 0; ch < 3; ch++) {
          noiseState = (Math.imul(noiseState, 1664525) + 1013904223) >>> 0;
          const n = noiseAmp * ((noiseState / 4294967296) * 2 - 1);
          out[i + ch] = Math.max(0, Math.min(255, Math.round(px[ch] + n)));
        }
      }
    }
  }
  return out;
}
