/**
 * A third motion set for the hard scene, made as a held-out benchmark: the preset was chosen on the
 * mirror and undirected sets and never tuned on this one. Its pairs differ along the vertical axis
 * (Rise vs Fall) and in depth (Approach vs Recede: the same path with time reversed), so a
 * horizontal flip keeps every label; the rest differ in the profile of their motion (bouncing,
 * spiralling out, rocking, moving in bursts). Directions that do not name the class are drawn per video.
 */
import { type Rng } from './rng.js';
import { type Pose } from './synth-pose.js';

export const VERTICAL_CLASSES = ['Rise', 'Fall', 'Approach', 'Recede', 'Bounce', 'Spiral', 'Wobble', 'StopGo'] as const;

/** Parameters of one video of this set, drawn after the shared ones (so other sets render as before). */
export function verticalParams(rng: Rng): Record<string, number> {
  return {
    rise: rng.uniform(0.45, 0.6), drift: rng.uniform(-0.15, 0.15), zoom: rng.uniform(2.2, 3),
    bounces: rng.uniform(2, 3), hop: rng.uniform(0.2, 0.3), turn: rng.bernoulli(0.5) ? 1 : -1,
    rock: rng.uniform(0.5, 0.8), rocks: rng.uniform(1.5, 2.5), bursts: rng.uniform(2, 3),
    heading: rng.uniform(0, 2 * Math.PI), dist: rng.uniform(0.45, 0.6),
  };
}

/** Pose at time t in [0, 1]; `base` holds the video's resting position, angle and size. */
export function verticalPose(cls: string, t: number, p: Record<string, number>, base: Pose): Pose {
  switch (cls) {
    case 'Rise':
    case 'Fall': {
      const down = cls === 'Fall' ? 1 : -1;
      return { ...base, x: base.x + p.drift * (t - 0.5), y: base.y + down * p.rise * (t - 0.5) };
    }
    case 'Approach':
    case 'Recede': {
      const grow = cls === 'Approach' ? t - 0.5 : 0.5 - t;
      return { ...base, scale: base.scale * Math.pow(p.zoom, grow) };
    }
    case 'Bounce': return { ...base, y: base.y + p.hop / 2 - p.hop * Math.abs(Math.sin(Math.PI * p.bounces * t + p.phase)) };
    case 'Spiral': {
      const a = p.phase + p.turn * 2 * Math.PI * p.cycles * t;
      const r = p.radius * (0.2 + 0.8 * t);
      return { ...base, x: base.x + r * Math.cos(a), y: base.y + r * Math.sin(a) };
    }
    case 'Wobble': return { ...base, angle: p.a0 + p.rock * Math.sin(2 * Math.PI * p.rocks * t + p.phase) };
    case 'StopGo': {
      // Speed 1 - cos: the object halts `bursts` times along a straight path.
      const k = 2 * Math.PI * p.bursts;
      const s = t - Math.sin(k * t) / k - 0.5;
      return { ...base, x: base.x + Math.cos(p.heading) * p.dist * s, y: base.y + Math.sin(p.heading) * p.dist * s };
    }
    default: throw new Error(`unknown motion class ${cls}`);
  }
}
