/**
 * The 'aligned-diff' stem input as ONNX nodes, step for step as aligned-differences.ts computes it,
 * with batch, frames, height and width symbolic: grayscale frames average-pooled by
 * floor(min(H, W) / SEARCH_SIDE), the mean squared difference of each consecutive pair at every
 * integer shift within SEARCH_RADIUS (ArgMin picks the first of equal costs, as our search does), the
 * parabola's sub-pixel refinement, then GridSample (bilinear, border) to read frame t at p + shift
 * and the difference with frame t + 1. Needs frames of at least 2 x SEARCH_RADIUS x 2 + 1 pixels a
 * side (smaller ones narrow our radius) and at least two frames per clip.
 */
import { GraphBuilder, TO_END, int, ints, str, padLastFrame } from './onnx-graph.js';
import { SEARCH_RADIUS, SEARCH_SIDE } from './aligned-differences.js';

const R = SEARCH_RADIUS, SIDE = 2 * R + 1;

export function alignedFrameDifferencesGraph(g: GraphBuilder, x: string): string {
  const i64 = (v: number) => g.int64s(g.name('i'), [v]);
  const f32 = (v: number) => g.floats(g.name('f'), [v], []);
  const op = (type: string, ...inputs: string[]) => g.node(type, inputs);
  const toFloat = (v: string) => g.node('Cast', [v], [int('to', 1)]);
  const cat = (inputs: string[], axis = 0) => g.node('Concat', inputs, [int('axis', axis)]);
  const unsq = (v: string, axes: number[]) => op('Unsqueeze', v, g.int64s(g.name('axes'), axes));
  const shape = op('Shape', x);
  const dim = (i: number) => g.slice(shape, [i], [i + 1], [0]);
  const [B, C, T, H, W] = [0, 1, 2, 3, 4].map(dim);
  const pool = op('Max', op('Div', op('Min', H, W), i64(SEARCH_SIDE)), i64(1));
  const h = op('Div', H, pool), w = op('Div', W, pool);

  // Pooled grayscale [B, T, h, w]: the frame cropped to whole pooling cells, each cell averaged.
  const mono = g.node('ReduceMean', [x], [ints('axes', [1]), int('keepdims', 0)]);
  const cropEnds = cat([op('Mul', h, pool), op('Mul', w, pool)]);
  const cropped = g.node('Slice', [mono, g.int64s(g.name('starts'), [0, 0]), cropEnds, g.int64s(g.name('axes'), [2, 3])]);
  const cells = cat([B, T, h, pool, w, pool]);
  const gray = g.node('ReduceMean', [op('Reshape', cropped, cells)], [ints('axes', [3, 5]), int('keepdims', 0)]);

  // Costs [B, T-1, SIDE * SIDE] in the order (dy + R) * SIDE + (dx + R).
  const prev = g.slice(gray, [0], [-1], [1]), next = g.slice(gray, [1], [TO_END], [1]);
  const inner = g.slice(next, [R, R], [-R, -R], [2, 3]);
  const endAt = (d: number) => (d < R ? d - R : TO_END);
  const costs: string[] = [];
  for (let dy = -R; dy <= R; dy++) {
    for (let dx = -R; dx <= R; dx++) {
      const diff = op('Sub', inner, g.slice(prev, [R + dy, R + dx], [endAt(dy), endAt(dx)], [2, 3]));
      const mse = g.node('ReduceMean', [op('Mul', diff, diff)], [ints('axes', [2, 3]), int('keepdims', 0)]);
      costs.push(unsq(mse, [2]));
    }
  }
  const cost = cat(costs, 2);
  const best = g.node('ArgMin', [cost], [int('axis', 2), int('keepdims', 1)]);
  const at = (offset: number) => g.node('GatherElements', [cost, op('Max', op('Min', op('Add', best, i64(offset)), i64(SIDE * SIDE - 1)), i64(0))], [int('axis', 2)]);
  const centre = at(0);
  // The parabola through the neighbours' costs: its vertex offset, clamped to half a step, or 0 where it does not open upwards.
  const vertex = (a: string, c: string) => {
    const curvature = op('Add', op('Sub', a, op('Mul', centre, f32(2))), c);
    const v = op('Max', op('Min', op('Div', op('Sub', a, c), op('Mul', curvature, f32(2))), f32(0.5)), f32(-0.5));
    return op('Where', op('Greater', curvature, f32(0)), v, f32(0));
  };
  const iy = op('Div', best, i64(SIDE)), ix = op('Sub', best, op('Mul', iy, i64(SIDE)));
  const inside = (i: string) => op('And', op('Greater', i, i64(0)), op('Less', i, i64(SIDE - 1)));
  const axisShift = (i: string, step: number) => {
    const refined = op('Where', inside(i), vertex(at(-step), at(step)), f32(0));
    return op('Mul', op('Add', op('Sub', toFloat(i), f32(R)), refined), toFloat(pool));
  };
  const shifts = cat([axisShift(ix, 1), axisShift(iy, SIDE)], 2); // [B, T-1, 2] (dx, dy)

  // The sampling grid [pairs, H, W, 2] (align_corners 0): pixel centres, moved by the shifts.
  const centres = (n: string) => op('Sub', op('Mul', op('Div', op('Add', toFloat(op('Range', i64(0), n, i64(1))), f32(0.5)), toFloat(n)), f32(2)), f32(1));
  const hw = cat([H, W]);
  const gx = op('Expand', unsq(centres(W), [0]), hw), gy = op('Expand', unsq(centres(H), [1]), hw);
  const base = unsq(cat([unsq(gx, [2]), unsq(gy, [2])], 2), [0]);
  const perPixel = cat([op('Div', f32(2), toFloat(W)), op('Div', f32(2), toFloat(H))]);
  const grid = op('Add', base, op('Reshape', op('Mul', shifts, perPixel), g.int64s(g.name('shape'), [-1, 1, 1, 2])));

  // Frames as [pairs, C, H, W], frame t read at p + shift, subtracted from frame t + 1.
  const pairsShape = cat([g.int64s(g.name('shape'), [-1]), C, H, W]);
  const framesOf = (v: string) => op('Reshape', g.node('Transpose', [v], [ints('perm', [0, 2, 1, 3, 4])]), pairsShape);
  const moved = g.node('GridSample', [framesOf(g.slice(x, [0], [-1], [2])), grid], [str('mode', 'bilinear'), str('padding_mode', 'border'), int('align_corners', 0)]);
  const diff = op('Sub', framesOf(g.slice(x, [1], [TO_END], [2])), moved);
  const clipShape = cat([B, g.int64s(g.name('shape'), [-1]), C, H, W]);
  return padLastFrame(g, g.node('Transpose', [op('Reshape', diff, clipShape)], [ints('perm', [0, 2, 1, 3, 4])]));
}
