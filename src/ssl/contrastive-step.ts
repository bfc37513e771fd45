/**
 * One contrastive forward pass of pre-training: rho augmented clips per video -> optional
 * background erasing -> encoder + head -> NT-Xent over the (global) batch, with optional static,
 * time-reversed and frame-shuffled clips of each video as extra negatives, and optional auxiliary losses. The caller runs backward and the optimiser.
 */
import { Tensor } from '../torch/tensor.js';
import { tidy, keep } from '../torch/scope.js';
import { decorrelationLoss } from './decorrelation.js';
import { cat, fromTypedArray } from '../torch/creation.js';
import { crossEntropy } from '../torch/functional.js';
import { autocast, withoutAutocast, sharedAutocastCasts } from '../torch/autograd.js';
import { type ProcessGroup } from '../torch/distributed.js';
import { Rng } from '../video/rng.js';
import { drawPseudoMotion, pseudoMotionClips } from '../video/pseudo-motion.js';
import { blendStaticFrame, drawStaticBlend, staticClips } from '../video/static-frames.js';
import { type CvrlModel } from './cvrl-model.js';
import { globalNtXent } from './ntxent.js';

export interface ContrastiveOptions {
  temperature: number;
  bf16: boolean;
  /** Background erasing: probability per clip, largest blend weight, still from another video. */
  bgEraseProb: number;
  bgEraseMax: number;
  bgEraseMix: boolean;
  /** One static clip per video (a random frame of its first clip, repeated) as an extra negative. */
  staticNegatives: boolean;
  /**
   * Each video's first clip played backwards as an extra negative (the arrow of time, Wei et al.
   * 2018): features must then tell a motion from its reverse (left from right, opening from closing).
   */
  reverseNegatives: boolean;
  /**
   * Each video's first clip with its frames in shuffled order as an extra negative: the same
   * content and clutter without coherent motion, so only how things move tells it from a positive.
   */
  shuffleNegatives: boolean;
  /** Weight of the decorrelation loss on the encoder's features (0: off). */
  decorrelation: number;
  /** Weight of the pseudo-motion classification loss on one pseudo-motion clip per video (0: off). */
  pseudoMotion: number;
}

/** A random order of 0..t-1 that moves at least half of the frames (never the identity). */
export function shuffledOrder(t: number, rng: Rng): number[] {
  if (t < 2) throw new RangeError(`shuffled negatives need clips of at least 2 frames, got ${t}`);
  for (;;) {
    const order = rng.shuffle(Array.from({ length: t }, (_, i) => i));
    if (order.filter((f, i) => f !== i).length * 2 >= t) return order;
  }
}

/** Cross-entropy of the motion head on pseudo-motion clips made from one still frame of each clip, times its weight. */
export function pseudoMotionLoss(model: CvrlModel, x: Tensor, o: Pick<ContrastiveOptions, 'bf16' | 'pseudoMotion'>, rng: Rng): Tensor {
  const head = model.motionHead;
  if (!head) throw new Error('pseudoMotion needs a CvrlModel built with a motion head (motionClasses > 0)');
  const { clips, labels } = pseudoMotionClips(x, drawPseudoMotion(x.size(0), x.size(2), rng));
  try {
    return tidy(() => {
      const logits = () => head.forward(model.encoder.forward(clips));
      return crossEntropy((o.bf16 ? autocast(logits) : logits()).float(), fromTypedArray(labels, undefined, { device: x.device }).long()).mul(o.pseudoMotion);
    });
  } finally {
    clips.dispose();
  }
}

/**
 * The batch's loss (a scalar with gradient): NT-Xent plus the weighted auxiliary terms; `rng` draws
 * the erasing, static frames and pseudo-motion. `parts` receives each term's value, unweighted
 * (ntxent, decorrelation, pseudo_motion), for the run's metrics.
 */
export async function contrastiveLoss(model: CvrlModel, clips: readonly Tensor[], o: ContrastiveOptions, rng: Rng, group?: ProcessGroup, parts?: Record<string, number>): Promise<Tensor> {
  const [n, , t] = clips[0].shape;
  const reg: Tensor[] = [];
  const aux: Tensor[] = []; // weighted auxiliary losses
  const forward = (x: Tensor) => {
    if (o.decorrelation <= 0) return model.forward(x);
    const f = model.encoder.forward(x);
    reg.push(keep(withoutAutocast(() => decorrelationLoss(f.float()))));
    return model.head.forward(f);
  };
  const project = (x: Tensor) => tidy(() => (o.bf16 ? autocast(() => forward(x)) : forward(x)).float());
  const z: Tensor[] = [];
  const negatives: Tensor[] = [];
  try {
    // One region for every forward of the step: each weight is cast to bfloat16 once, not per forward.
    sharedAutocastCasts(() => {
      for (const x of clips) {
        if (o.bgEraseProb > 0) {
          const erased = blendStaticFrame(x, drawStaticBlend(n, t, { prob: o.bgEraseProb, maxAlpha: o.bgEraseMax, mix: o.bgEraseMix }, rng));
          z.push(project(erased));
          erased.dispose();
        } else {
          z.push(project(x));
        }
      }
      if (o.staticNegatives) {
        const still = staticClips(clips[0], Array.from({ length: n }, () => rng.int(t)));
        negatives.push(project(still));
        still.dispose();
      }
      if (o.reverseNegatives) {
        const reversed = clips[0].flip([2]);
        negatives.push(project(reversed));
        reversed.dispose();
      }
      if (o.shuffleNegatives) {
        const order = fromTypedArray(Int32Array.from(shuffledOrder(t, rng)), undefined, { device: clips[0].device });
        const shuffled = clips[0].indexSelect(2, order);
        negatives.push(project(shuffled));
        [order, shuffled].forEach((v) => v.dispose());
      }
      z.push(...negatives);
      if (o.pseudoMotion > 0) {
        aux.push(keep(pseudoMotionLoss(model, clips[0], o, rng)));
        if (parts) parts.pseudo_motion = aux[0].item() / o.pseudoMotion;
      }
    });
    const extra = negatives.length > 1 ? cat(negatives, 0) : negatives[0];
    try {
      const loss = await globalNtXent(z.slice(0, clips.length), group, { temperature: o.temperature, negatives: extra });
      if (parts) {
        parts.ntxent = loss.item();
        if (reg.length > 0) parts.decorrelation = reg.reduce((a, r) => a + r.item(), 0) / reg.length;
      }
      if (reg.length === 0 && aux.length === 0) return loss;
      const total = tidy(() => aux.reduce((a, r) => a.add(r), reg.reduce((a, r) => a.add(r.mul(o.decorrelation / reg.length)), loss)));
      loss.dispose();
      return total;
    } finally {
      if (negatives.length > 1) extra.dispose();
    }
  } finally {
    z.forEach((v) => v.dispose());
    reg.forEach((v) => v.dispose());
    aux.forEach((v) => v.dispose());
  }
}
