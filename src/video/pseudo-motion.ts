/**
 * Pseudo-motion clips (after MoSI, Huang et al., ICCV 2021): one still frame of a clip, moved by a
 * known camera motion over time (pan, tilt, rotation, zoom, or none), optionally only inside a box
 * with the rest of the frame still (so a local object moves on a static background). Classifying
 * the motion needs features that tell a direction from its mirror, which instance discrimination
 * alone does not ask for on small data. Random choices come from the caller's seeded generator.
 */
import { Tensor, wrap } from '../torch/tensor.js';
import { native } from '../native/addon.js';
import { fromTypedArray } from '../torch/creation.js';
import { gridSample } from '../torch/functional.js';
import { tidy } from '../torch/scope.js';
import { Rng } from './rng.js';

export const PSEUDO_MOTIONS = ['still', 'panLeft', 'panRight', 'tiltUp', 'tiltDown', 'rotateCW', 'rotateCCW', 'zoomIn', 'zoomOut'] as const;
export type PseudoMotion = (typeof PSEUDO_MOTIONS)[number];

/** One clip's motion: the class, its size over the whole clip, where the still frame and the moving box are. */
export interface PseudoMotionDraw {
  motion: PseudoMotion;
  /** Pan/tilt: displacement in half-frames; rotation: radians; zoom: relative scale change. */
  amount: number;
  frame: number;
  /** Moving region [x0, y0, x1, y1] in [0, 1]; the whole frame when absent. */
  box?: [number, number, number, number];
}

/** Frames are sampled from a zoomed-in view so that every motion stays inside the picture. */
const VIEW_SCALE = 0.65;

export function drawPseudoMotion(n: number, frames: number, rng: Rng, maskProb = 0.5): PseudoMotionDraw[] {
  return Array.from({ length: n }, () => {
    const motion = PSEUDO_MOTIONS[rng.int(PSEUDO_MOTIONS.length)];
    const amount = motion.startsWith('rotate') ? rng.uniform(0.3, 0.8) : motion.startsWith('zoom') ? rng.uniform(0.15, 0.3) : rng.uniform(0.15, 0.35);
    const frame = rng.int(frames);
    if (!rng.bernoulli(maskProb)) return { motion, amount, frame };
    const w = rng.uniform(0.35, 0.6), h = rng.uniform(0.35, 0.6);
    const x0 = rng.uniform(0, 1 - w), y0 = rng.uniform(0, 1 - h);
    return { motion, amount, frame, box: [x0, y0, x0 + w, y0 + h] };
  });
}

/**
 * The affine map from output to input coordinates (grid_sample's normalised [-1, 1], y down) of
 * frame t of T: [a, b, tx, c, d, ty] with x_in = a x + b y + tx, y_in = c x + d y + ty. Content
 * moves opposite to the sampling window, so a pan right moves the window left.
 */
export function pseudoMotionAffine(m: PseudoMotion, amount: number, t: number, frames: number): number[] {
  const u = frames > 1 ? t / (frames - 1) - 0.5 : 0; // -0.5 .. 0.5 over the clip
  let s = VIEW_SCALE, angle = 0, tx = 0, ty = 0;
  switch (m) {
    case 'still': break;
    case 'panLeft': tx = amount * u; break;
    case 'panRight': tx = -amount * u; break;
    case 'tiltUp': ty = amount * u; break;
    case 'tiltDown': ty = -amount * u; break;
    // With y pointing down, a positive angle of the content turns it clockwise on screen.
    case 'rotateCW': angle = -amount * u; break;
    case 'rotateCCW': angle = amount * u; break;
    case 'zoomIn': s *= 1 - amount * (u + 0.5); break;
    case 'zoomOut': s *= 1 - amount * (0.5 - u); break;
  }
  const cos = Math.cos(angle) * s, sin = Math.sin(angle) * s;
  return [cos, -sin, tx, sin, cos, ty];
}

/**
 * Clips [B, C, T, H, W] of pseudo-motion made from `x` (same shape), and the class index of each.
 * Outside a draw's box every frame shows the still frame unmoved.
 */
export function pseudoMotionClips(x: Tensor, draws: readonly PseudoMotionDraw[]): { clips: Tensor; labels: Int32Array } {
  if (x.ndim !== 5) throw new RangeError(`expected clips [B, C, T, H, W], got [${x.shape.join(', ')}]`);
  const [b, c, t, h, w] = x.shape;
  if (draws.length !== b) throw new RangeError(`need ${b} pseudo-motion draws, got ${draws.length}`);
  const affines = new Float64Array(b * t * 6), boxes = new Float64Array(b * 4);
  const source = new BigInt64Array(b * c); // frame rows of x viewed as [b * c * t, h, w]
  draws.forEach((d, i) => {
    if (!(Number.isInteger(d.frame) && d.frame >= 0 && d.frame < t)) throw new RangeError(`frame ${d.frame} is not in 0..${t - 1}`);
    boxes.set(d.box ?? [0, 0, 1, 1], i * 4);
    for (let ch = 0; ch < c; ch++) source[i * c + ch] = BigInt((i * c + ch) * t + d.frame);
    for (let f = 0; f < t; f++) affines.set(pseudoMotionAffine(d.motion, d.amount, f, t), (i * t + f) * 6);
  });
  const labels = Int32Array.from(draws, (d) => PSEUDO_MOTIONS.indexOf(d.motion));
  const clips = tidy(() => {
    // One still per clip, sampled by the grids of its t frames stacked along the height: the output
    // [b, c, t * h, w] is already the clip layout [b, c, t, h, w], so nothing is permuted or copied.
    const stills = x.float().reshape([b * c * t, h, w]).indexSelect(0, fromTypedArray(source, [b * c], { device: x.device })).reshape([b, c, h, w]);
    const grid = pseudoMotionGrid(affines, boxes, h, w).to(x.device).reshape([b, t * h, w, 2]);
    return gridSample(stills, grid, { paddingMode: 'reflection' }).reshape([b, c, t, h, w]).to(x.dtype);
  });
  return { clips, labels };
}

/**
 * grid_sample's grid [frames, h, w, 2] for pseudo-motion clips: output frame k (clip k div t) reads
 * its still frame through affine k inside its clip's box and unmoved outside (native, on the CPU).
 */
export function pseudoMotionGrid(affines: Float64Array, boxes: Float64Array, h: number, w: number): Tensor {
  const a = fromTypedArray(affines, [affines.length / 6, 6]), bx = fromTypedArray(boxes, [boxes.length / 4, 4]);
  const still = fromTypedArray(Float64Array.from(pseudoMotionAffine('still', 0, 0, 1)));
  try {
    return wrap(native.pseudoMotionGrid(a.handle, bx.handle, still.handle, h, w));
  } finally {
    [a, bx, still].forEach((t) => t.dispose());
  }
}
