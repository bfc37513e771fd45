/**
 * One contrastive forward pass of pre-training: rho augmented clips per video -> optional
 * background erasing -> encoder + head -> NT-Xent over the (global) batch, with optional static
 * clips of each video as extra negatives. The caller runs backward and the optimiser.
 */
import { Tensor } from '../torch/tensor.js';
import { tidy } from '../torch/scope.js';
import { autocast } from '../torch/autograd.js';
import { type ProcessGroup } from '../torch/distributed.js';
import { Rng } from '../video/rng.js';
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
}

/** The batch's NT-Xent loss (a scalar with gradient); `rng` draws the erasing and static frames. */
export async function contrastiveLoss(model: CvrlModel, clips: readonly Tensor[], o: ContrastiveOptions, rng: Rng, group?: ProcessGroup): Promise<Tensor> {
  const [n, , t] = clips[0].shape;
  const project = (x: Tensor) => tidy(() => (o.bf16 ? autocast(() => model.forward(x)) : model.forward(x)).float());
  const z: Tensor[] = [];
  try {
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
      z.push(project(still));
      still.dispose();
    }
    const views = o.staticNegatives ? z.slice(0, -1) : z;
    return await globalNtXent(views, group, { temperature: o.temperature, negatives: o.staticNegatives ? z[z.length - 1] : undefined });
  } finally {
    z.forEach((v) => v.dispose());
  }
}
