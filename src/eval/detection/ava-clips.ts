/** Where AVA clips start: T frames at stride s around an annotated keyframe. */

/** The frame shown at `timestampSec`: frame i covers [i / fps, (i + 1) / fps). */
export function keyframeIndex(timestampSec: number, fps: number): number {
  if (!Number.isFinite(timestampSec) || timestampSec < 0) throw new RangeError(`timestampSec must be a finite number >= 0, got ${timestampSec}`);
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`fps must be a positive number, got ${fps}`);
  // The epsilon keeps e.g. 0.7 s x 30 fps (20.999...) on frame 21.
  return Math.floor(timestampSec * fps + 1e-6);
}

/**
 * The first frame of a clip of `frames` frames at `stride` centred on the keyframe: the keyframe is
 * the clip's frame floor(frames / 2) (for even T this is SlowFast's center - T*s/2), and the
 * clip is shifted to lie inside [0, totalFrames) near the ends. Videos shorter than the clip start
 * at 0 (their readers loop frames, as the pre-training samplers do).
 */
export function keyframeClipStart(timestampSec: number, fps: number, frames: number, stride: number, totalFrames: number): number {
  if (!Number.isInteger(frames) || frames <= 0) throw new RangeError(`frames must be a positive integer, got ${frames}`);
  if (!Number.isInteger(stride) || stride <= 0) throw new RangeError(`stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(totalFrames) || totalFrames <= 0) throw new RangeError(`totalFrames must be a positive integer, got ${totalFrames}`);
  const k = keyframeIndex(timestampSec, fps);
  if (k >= totalFrames) {
    throw new RangeError(`timestampSec ${timestampSec} is frame ${k}, past the video's ${totalFrames} frames at ${fps} fps`);
  }
  const span = (frames - 1) * stride + 1;
  const start = k - Math.floor(frames / 2) * stride;
  return Math.max(0, Math.min(start, totalFrames - span));
}
