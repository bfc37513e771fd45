// The evaluation clip transform of cvrl (src/video/loader.ts, eval mode; src/video/augment.ts,
// evalCrops) as plain functions without the DOM, so that Node tests can run them on the frames our
// decoder gives: which frames, the short-side resize, the centre crop, and the normalisation.

/** KINETICS_NORM in src/video/augment.ts: per-channel mean and std of pixel values in [0, 1]. */
export const MEAN = [0.45, 0.45, 0.45];
export const STD = [0.225, 0.225, 0.225];

/** The decode-time short side the eval loader uses by default: round(S * 8 / 7), e.g. 128 for 112. */
export function defaultShortSide(size) {
  return Math.round((size * 8) / 7);
}

/**
 * Frame indices of the one clip that evaluation with one temporal view takes (uniformClipStarts in
 * src/video/samplers.ts): the middle of the valid starts; frames past the end wrap to the start.
 */
export function clipFrames(length, frames, stride) {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`video length must be a positive integer, got ${length}`);
  const valid = Math.max(1, length - (frames - 1) * stride);
  const start = Math.floor((valid - 1) / 2);
  return Array.from({ length: frames }, (_, i) => (start + i * stride) % length);
}

/** The frame size after the short-side resize (as the native decoder rounds it). */
export function resizedSize(width, height, shortSide) {
  return height <= width
    ? { width: Math.max(1, Math.round((width * shortSide) / height)), height: shortSide }
    : { width: shortSide, height: Math.max(1, Math.round((height * shortSide) / width)) };
}

/** Top-left corner of the centred size x size crop (evalCrops with one crop). */
export function centreCrop(width, height, size) {
  if (width < size || height < size) throw new RangeError(`frames ${width}x${height} are smaller than the crop ${size}`);
  return { left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2) };
}

/**
 * RGBA crops (one Uint8ClampedArray of size * size * 4 per frame, as getImageData gives) to the
 * model input: float32 [1, 3, T, size, size], (pixel / 255 - mean) / std per channel.
 */
export function toClipTensor(rgbaFrames, size, mean = MEAN, std = STD) {
  const T = rgbaFrames.length, plane = size * size;
  const out = new Float32Array(3 * T * plane);
  rgbaFrames.forEach((rgba, t) => {
    if (rgba.length !== plane * 4) throw new RangeError(`frame ${t}: ${rgba.length} bytes for a ${size}x${size} RGBA crop`);
    for (let c = 0; c < 3; c++) {
      // Same float32 steps as ours: x / 255, then (x - mean) / std.
      const m = Math.fround(mean[c]), s = Math.fround(std[c]), base = (c * T + t) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = Math.fround(Math.fround(rgba[i * 4 + c] / 255) - m) / s;
    }
  });
  return { data: out, dims: [1, 3, T, size, size] };
}

/** L2 norm of a vector. */
export function norm(v) {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}
