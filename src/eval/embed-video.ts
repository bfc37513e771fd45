/**
 * One video file to one feature vector, without a dataset: the same evaluation views as `cvrl embed`
 * on a dataset (evenly spaced clips x 1 or 3 crops, the loader's resize and normalisation), encoded
 * and averaged. An unreadable file is an error naming it, not a skipped item.
 */
import { TEST_VIEWS, uniformClipStarts } from '../video/samplers.js';
import { probeVideo, decodeClips } from '../video/io.js';
import { evalCrops, KINETICS_NORM, type Normalization } from '../video/augment.js';
import { cat } from '../torch/creation.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { type Tensor } from '../torch/tensor.js';
import { type ResNet3d } from '../models/resnet3d.js';

export interface EmbedVideoOptions {
  /** Frames per clip (default 16). */
  frames?: number;
  /** Temporal stride (default 2). */
  stride?: number;
  /** Crop size (default 112). */
  size?: number;
  /** Short side frames are resized to before cropping (default size x 8/7, as the loader). */
  decodeShortSide?: number;
  /** Evenly spaced clips (default 10). */
  temporalViews?: number;
  /** 1 (centre) or 3 (along the long side) crops per clip (default 3). */
  spatialViews?: 1 | 3;
  normalization?: Normalization;
}

export interface VideoEmbedding {
  path: string;
  /** The mean over views, [dim]. */
  features: Float32Array;
  dim: number;
  /** Views averaged: temporal x spatial. */
  views: number;
  /** Frames in the video. */
  frames: number;
}

/** Features of one video file (encoder in eval mode, no gradients); clips are [V, 3, T, S, S] inside. */
export async function embedVideo(path: string, encoder: ResNet3d, o: EmbedVideoOptions = {}): Promise<VideoEmbedding> {
  const frames = o.frames ?? 16, stride = o.stride ?? 2, size = o.size ?? 112;
  const temporal = o.temporalViews ?? TEST_VIEWS.temporal, spatial = o.spatialViews ?? TEST_VIEWS.spatial;
  const info = await probeVideo(path);
  if (info.frames < 1) throw new Error(`${path}: no decodable frames`);
  const starts = uniformClipStarts(info.frames, { frames, stride }, temporal);
  const decoded = await decodeClips(path, { starts, frames, stride, size: { shortSide: o.decodeShortSide ?? Math.round((size * 8) / 7) } });
  let feats: Tensor;
  try {
    encoder.eval();
    feats = tidy(() => {
      const clips = cat(starts.map((_, v) => evalCrops(decoded.frames.select(0, v), size, spatial, o.normalization ?? KINETICS_NORM)), 0);
      return noGrad(() => encoder.forward(clips.to(encoder.device))).mean([0]);
    });
  } finally {
    decoded.frames.dispose();
  }
  const features = new Float32Array(feats.toTypedArray() as Float32Array);
  feats.dispose();
  return { path, features, dim: features.length, views: temporal * spatial, frames: info.frames };
}
