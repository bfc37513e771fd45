/**
 * An exponential moving average of the encoder's weights and BatchNorm statistics (Polyak
 * averaging; MoCo's and BYOL's slow encoders), updated after every optimiser step. Short, noisy
 * small-batch runs end wherever the last steps left them; the average is the encoder those steps
 * circle around. With `encoderEma` set, checkpoints store it as the encoder that evaluation,
 * embedding and export load, and the trained weights as `onlineEncoder` for resuming.
 */
import { createModel } from '../models/registry.js';
import { type ModelSpec } from '../models/checkpoint.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { isFloating } from '../torch/dtype.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';

export class EncoderEma {
  readonly average: ResNet3d;

  constructor(readonly online: ResNet3d, spec: ModelSpec, readonly decay: number) {
    this.average = createModel(spec.arch, { ...spec.overrides, numClasses: 0 }).to(online.device);
    tidy(() => this.average.loadStateDict(online.stateDict()));
    this.average.train(online.training);
  }

  /**
   * The decay after `step` updates: min(decay, (1 + step) / (10 + step)), so that the first steps'
   * random weights are forgotten quickly (TensorFlow's ExponentialMovingAverage with num_updates).
   */
  decayAt(step: number): number {
    return Math.min(this.decay, (1 + step) / (10 + step));
  }

  /** Moves the average towards the online weights; `step` counts the optimiser steps taken, this one included. */
  update(step: number): void {
    const d = this.decayAt(step);
    tidy(() => noGrad(() => {
      const online = this.online.stateDict();
      for (const [k, avg] of this.average.stateDict()) {
        const v = online.get(k)!;
        if (isFloating(avg.dtype)) avg.lerp_(v, 1 - d);
        else avg.copy_(v); // BatchNorm's step counter
      }
    }));
  }
}
