/** The CVRL model for pre-training: encoder + projection head. Only the encoder is kept downstream. */
import { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { ResNet3d } from '../models/resnet3d.js';
import { ProjectionHead, type ProjectionHeadOptions } from '../models/heads.js';
import { Linear } from '../nn/linear.js';

export class CvrlModel extends Module {
  readonly encoder: ResNet3d;
  readonly head: ProjectionHead;
  /** Classifies pseudo-motion clips (the `pseudoMotion` option); absent, and out of checkpoints, when unused. */
  readonly motionHead?: Linear;
  constructor(encoder: ResNet3d, head: ProjectionHeadOptions = {}, motionClasses = 0) {
    super();
    this.encoder = this.registerModule('encoder', encoder);
    this.head = this.registerModule('head', new ProjectionHead(encoder.featureDim, head));
    if (motionClasses > 0) this.motionHead = this.registerModule('motionHead', new Linear(encoder.featureDim, motionClasses));
  }
  /** Clips [B, 3, T, H, W] -> projections [B, outDim] (normalised inside the loss). */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(x));
  }
}
