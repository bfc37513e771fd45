/**
 * Synchronised BatchNorm in training (torch.nn.SyncBatchNorm's semantics, on CPU ranks): the batch
 * statistics are the global batch's, summed over ranks by a differentiable all-reduce, so their
 * gradients are summed over ranks too; the running statistics use the global count and stay equal
 * on every rank. Each rank sends its count, sum and centred sum of squares in float64, so the
 * variance does not lose precision to E[x^2] - E[x]^2 cancellation.
 */
import { Tensor } from '../torch/tensor.js';
import { cat, full } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { noGrad } from '../torch/autograd.js';
import { type ProcessGroup } from '../torch/distributed.js';

export interface SyncBatchNormState {
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  momentum: number;
  eps: number;
}

export function syncBatchNorm(x: Tensor, bn: SyncBatchNormState, group: ProcessGroup): Tensor {
  return tidy(() => {
    const c = x.size(1);
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const shape = [1, c, ...Array<number>(x.ndim - 2).fill(1)];
    const dt = x.dtype === 'float64' ? 'float64' : 'float32'; // bfloat16 under autocast: statistics in float32
    const xf = x.to(dt);
    const n = xf.numel / c;
    const localMean = xf.mean(dims);
    const localM2 = xf.sub(localMean.view(shape)).square().sum(dims).double();
    const meanD = localMean.double();
    // [sum x, sum x^2, count] per channel, over every rank.
    const total = group.sumOverRanks(cat([meanD.mul(n), localM2.add(meanD.square().mul(n)), full([1], n, { dtype: 'float64', device: x.device })]));
    const count = total.narrow(0, 2 * c, 1);
    const mean = total.narrow(0, 0, c).div(count);
    const variance = total.narrow(0, c, c).div(count).sub(mean.square()).clampMin(0);
    let y = xf.sub(mean.to(dt).view(shape)).mul(variance.add(bn.eps).rsqrt().to(dt).view(shape));
    if (bn.weight && bn.bias) y = y.mul(bn.weight.view(shape)).add(bn.bias.view(shape));
    if (bn.runningMean && bn.runningVar) {
      const N = count.item();
      noGrad(() => {
        bn.runningMean!.mul_(1 - bn.momentum).add_(mean.to(bn.runningMean!.dtype), bn.momentum);
        bn.runningVar!.mul_(1 - bn.momentum).add_(variance.mul(N / Math.max(1, N - 1)).to(bn.runningVar!.dtype), bn.momentum);
      });
    }
    return y;
  });
}
