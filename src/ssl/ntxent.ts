/**
 * The CVRL objective: L2-normalised NT-Xent (InfoNCE) with temperature, symmetric over the two
 * views, with the other 2N - 2 clips of the batch as negatives. With rho >= 2 views per video (the
 * rho-clip variant of Feichtenhofer et al. 2021) every pair of views of a video is a positive.
 */
import { Tensor } from '../torch/tensor.js';
import { cat, stack, fromTypedArray } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { type ProcessGroup } from '../torch/distributed.js';
import * as F from '../torch/functional.js';

export interface NtXentOptions {
  /** Softmax temperature (CVRL: 0.1). */
  temperature?: number;
  /**
   * Extra negatives [M, D] (e.g. static clips): candidates for every anchor, never anchors or
   * positives themselves. The loss then starts near 2 ln(2N - 1 + M) for rho = 2.
   */
  negatives?: Tensor;
}

/**
 * Loss for views z[0..rho-1], each [N, D] (row i of every view is video i): for every anchor the
 * other rho*N - 1 clips are candidates and the same video's clips in the other views are positives,
 *   L = -1/(N (rho - 1)) * sum over anchors and their positives of log softmax(sim / temperature).
 * For rho = 2 this is the sum of both directions (a -> b plus b -> a), which starts near 2 ln(2N - 1).
 */
export function ntXent(views: readonly Tensor[], o: NtXentOptions = {}): Tensor {
  const tau = o.temperature ?? 0.1;
  if (!(tau > 0)) throw new RangeError(`temperature must be > 0, got ${tau}`);
  const rho = views.length;
  if (rho < 2) throw new RangeError(`NT-Xent needs at least 2 views, got ${rho}`);
  const [n, d] = views[0].shape;
  for (const v of views) {
    if (v.ndim !== 2 || v.size(0) !== n || v.size(1) !== d) throw new RangeError(`every view must be [${n}, ${d}], got [${v.shape.join(', ')}]`);
  }
  if (n < 2) throw new RangeError('NT-Xent needs at least 2 videos per batch (negatives come from the batch)');
  const neg = o.negatives;
  if (neg && (neg.ndim !== 2 || neg.size(1) !== d)) throw new RangeError(`negatives must be [M, ${d}], got [${neg.shape.join(', ')}]`);
  return tidy(() => {
    const m = rho * n, extra = neg ? neg.size(0) : 0;
    const z = F.normalize(cat(neg ? [...views, neg] : [...views], 0), { dim: 1 });
    const anchors = extra ? z.narrow(0, 0, m) : z;
    // In place (the product's backward needs only its inputs). The self-similarities are the
    // diagonal's first m entries (extra negatives' columns come after); a large finite negative
    // instead of -inf keeps the softmax finite there.
    const sim = anchors.matmul(z.t()).div_(tau);
    sim.diagonal().fill_(-1e9);
    const logp = F.logSoftmax(sim, 1);
    // Anchor r's positives: the same video's clips in the other views, columns (r mod n) + k n for k != r div n.
    return logp.gather(1, positiveColumns(n, rho, z.device)).sum().div(-n * (rho - 1));
  });
}

/** [rho n, rho - 1] int64: for each anchor row, the columns of its positives. */
function positiveColumns(n: number, rho: number, device: string): Tensor {
  const idx = new BigInt64Array(rho * n * (rho - 1));
  let i = 0;
  for (let r = 0; r < rho * n; r++) {
    for (let k = 0; k < rho; k++) if (k !== Math.floor(r / n)) idx[i++] = BigInt((r % n) + k * n);
  }
  return fromTypedArray(idx, [rho * n, rho - 1], { device });
}

/**
 * NT-Xent over the global batch of a distributed run: each rank passes its local views (each
 * [N, D], N equal on every rank) and gets the loss of ntXent() on the concatenation of every rank's
 * views in rank order ([W N, D] per view), identical on all ranks. The other ranks' rows are
 * gathered copies without gradient; this rank's rows are its own tensors, so backward() yields
 * d(L_global)/d(theta) through this rank's slice only. Summing those gradients over ranks
 * (ProcessGroup.allReduce, SUM not mean) gives exactly the gradient of the global loss, because the
 * global loss depends on the parameters only through the W slices. Without a group (or with one
 * rank) this is ntXent(views). Extra negatives are gathered the same way (k rows per video: M = k N).
 */
export async function globalNtXent(views: readonly Tensor[], group: ProcessGroup | undefined, o: NtXentOptions = {}): Promise<Tensor> {
  if (!group || group.worldSize === 1) return ntXent(views, o);
  if (views.length < 2) throw new RangeError(`NT-Xent needs at least 2 views, got ${views.length}`);
  const n = views[0].size(0);
  const neg = o.negatives;
  if (neg && neg.size(0) % n !== 0) throw new RangeError(`globalNtXent: negatives need k rows per video (k x ${n}), got ${neg.size(0)}`);
  // Negatives travel as k more "views" of N rows each.
  const negChunks = neg ? neg.split(n, 0) : [];
  const rows = [...views, ...negChunks];
  // One collective for all views: [N, rho, D] -> [W N, rho, D].
  const local = tidy(() => stack(rows.map((v) => v.detach()), 1));
  let all: Tensor;
  try {
    all = await group.allGather(local);
  } finally {
    local.dispose();
  }
  try {
    const total = all.size(0);
    const w = group.worldSize, off = group.rank * n;
    if (total !== w * n) throw new RangeError(`globalNtXent: every rank must pass the same batch size (this rank ${n}, ${w} ranks gathered ${total} rows)`);
    return tidy(() => {
      const global = rows.map((v, i) => {
        const gathered = all.select(1, i);
        const parts = [
          ...(off > 0 ? [gathered.narrow(0, 0, off)] : []),
          v,
          ...(off + n < total ? [gathered.narrow(0, off + n, total - off - n)] : []),
        ];
        return cat(parts, 0);
      });
      return ntXent(global.slice(0, views.length), { ...o, negatives: neg ? cat(global.slice(views.length), 0) : undefined });
    });
  } finally {
    all.dispose();
    negChunks.forEach((t) => t.dispose());
  }
}
