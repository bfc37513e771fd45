/**
 * Batches of AVA keyframes for the RoI head: per keyframe, a clip of T frames at stride s centred
 * on it (keyframeClipStart), every frame resized to S x S (the aspect ratio is not kept, so that
 * videos of any shape batch together; boxes are normalised, so they follow), the boxes in pixels
 * of that clip and multi-hot targets. No augmentation: a flip would swap left and right actions.
 * Unreadable videos and keyframes past a video's end are skipped, reported once and counted; the
 * next batch is decoded while the current one is used.
 */
import { Tensor } from '../../torch/tensor.js';
import { tidy } from '../../torch/scope.js';
import { fromTypedArray, stack } from '../../torch/creation.js';
import { probeVideo, decodeClips } from '../../video/io.js';
import { framesToUnit, normalizeClip, KINETICS_NORM, type Normalization } from '../../video/augment.js';
import { Rng } from '../../video/rng.js';
import { Semaphore } from '../../util/semaphore.js';
import { keyframeClipStart } from './ava-clips.js';
import { multiHot, type AvaKeyframe, type AvaKeyframeSet } from './ava-keyframes.js';

export interface KeyframeClipOptions {
  frames: number;
  stride: number;
  /** Side S of the square model input. */
  size: number;
  /** Seconds subtracted from timestamps to find the frame: 900 for AVA videos cut to minutes 15-30. */
  timeOffset?: number;
  normalization?: Normalization;
}

export interface KeyframeLoaderOptions extends KeyframeClipOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  /** Keyframes decoded at once. */
  parallelism?: number;
  /** Called once per unreadable video or unusable keyframe (default: a warning on stderr). */
  onSkip?: (message: string) => void;
}

export interface KeyframeBatch {
  /** float [B, 3, T, S, S], normalised. */
  clips: Tensor;
  /** float [K, 5]: batch index, x1, y1, x2, y2 in pixels of the S x S clip. */
  boxes: Tensor;
  /** float [K, classes], multi-hot over the set's classes. */
  targets: Tensor;
  keyframes: AvaKeyframe[];
  dispose(): void;
}

/** Probed videos, unreadable videos and skipped keyframes, shared by the epochs of one set. */
export class KeyframeCache {
  readonly info = new Map<string, { frames: number; fps: number }>();
  /** Unreadable video path -> reason. */
  readonly badVideos = new Map<string, string>();
  /** Keys (video_id,timestamp) of keyframes skipped for any reason. */
  readonly skipped = new Set<string>();
  get stats(): { badVideos: number; skippedKeyframes: number } {
    return { badVideos: this.badVideos.size, skippedKeyframes: this.skipped.size };
  }
}

/** The clip's first frame for a keyframe of a video with `frames` frames at `fps`. */
export function keyframeStart(kf: AvaKeyframe, info: { frames: number; fps: number }, o: KeyframeClipOptions): number {
  const t = kf.timestamp - (o.timeOffset ?? 0);
  if (t < 0) throw new RangeError(`timestamp ${kf.timestamp} is before the time offset ${o.timeOffset}`);
  return keyframeClipStart(t, info.fps, o.frames, o.stride, info.frames);
}

/** Boxes of keyframe b in pixels of an S x S clip, as [b, x1, y1, x2, y2] rows. */
export function pixelBoxes(kf: AvaKeyframe, b: number, size: number): number[][] {
  return kf.boxes.map((x) => [b, x.x1 * size, x.y1 * size, x.x2 * size, x.y2 * size]);
}

export class KeyframeLoader implements AsyncIterable<KeyframeBatch> {
  readonly #order: number[];
  readonly #onSkip: (message: string) => void;

  constructor(readonly set: AvaKeyframeSet, readonly o: KeyframeLoaderOptions, readonly cache = new KeyframeCache()) {
    for (const [k, v] of Object.entries({ batchSize: o.batchSize, frames: o.frames, stride: o.stride, size: o.size, parallelism: o.parallelism ?? 1 })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
    }
    this.#order = set.keyframes.map((_, i) => i);
    if (o.shuffle) Rng.from(o.seed ?? 0, o.epoch ?? 0, 0x5eed).shuffle(this.#order);
    this.#onSkip = o.onSkip ?? ((m) => console.warn(`cvrl: ${m}`));
  }

  get length(): number {
    return Math.ceil(this.#order.length / this.o.batchSize);
  }

  /** Skips a keyframe; the message is reported once per keyframe, or once per video for an unreadable video. */
  #skip(key: string, message: string, badVideo?: string): void {
    const first = badVideo ? !this.cache.badVideos.has(badVideo) : !this.cache.skipped.has(key);
    if (badVideo) this.cache.badVideos.set(badVideo, message);
    this.cache.skipped.add(key);
    if (first) this.#onSkip(message);
  }

  /** One keyframe's clip [3, T, S, S], or null when its video or timestamp is unusable. */
  async #clip(kf: AvaKeyframe): Promise<Tensor | null> {
    const o = this.o, key = `${kf.videoId},${kf.timestamp}`;
    if (this.cache.badVideos.has(kf.path)) {
      this.cache.skipped.add(key);
      return null;
    }
    let decoded;
    try {
      let info = this.cache.info.get(kf.path);
      if (!info) {
        const p = await probeVideo(kf.path);
        if (!(p.frames >= 1 && p.fps > 0)) throw new Error(`no decodable frames (${p.frames} frames at ${p.fps} fps)`);
        this.cache.info.set(kf.path, (info = { frames: p.frames, fps: p.fps }));
      }
      let start: number;
      try {
        start = keyframeStart(kf, info, o);
      } catch (e) {
        this.#skip(key, `${kf.where}: keyframe ${key} skipped: ${(e as Error).message} (${kf.path})`);
        return null;
      }
      decoded = await decodeClips(kf.path, { starts: [start], frames: o.frames, stride: o.stride, size: { height: o.size, width: o.size } });
    } catch (e) {
      this.#skip(key, `skipping unreadable video ${kf.path} (keyframe row ${kf.where}): ${(e as Error).message}`, kf.path);
      return null;
    }
    const frames = decoded.frames;
    try {
      return tidy(() => normalizeClip(framesToUnit(frames.select(0, 0)), o.normalization ?? KINETICS_NORM));
    } finally {
      frames.dispose();
    }
  }

  async #batch(ids: number[], sem: Semaphore): Promise<KeyframeBatch | null> {
    const kfs = ids.map((i) => this.set.keyframes[i]);
    const clips = await Promise.all(kfs.map((kf) => sem.run(() => this.#clip(kf))));
    const ok = kfs.filter((_, i) => clips[i] !== null);
    const kept = clips.filter((c): c is Tensor => c !== null);
    if (kept.length === 0) return null;
    const rows = ok.flatMap((kf, b) => pixelBoxes(kf, b, this.o.size));
    const boxes = ok.flatMap((kf) => kf.boxes);
    const batch: KeyframeBatch = {
      clips: stack(kept, 0),
      boxes: fromTypedArray(Float32Array.from(rows.flat()), [rows.length, 5]),
      targets: fromTypedArray(multiHot(boxes, this.set.classes), [boxes.length, this.set.classes.length]),
      keyframes: ok,
      dispose() {
        this.clips.dispose();
        this.boxes.dispose();
        this.targets.dispose();
      },
    };
    kept.forEach((c) => c.dispose());
    return batch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeyframeBatch> {
    const bs = this.o.batchSize, sem = new Semaphore(this.o.parallelism ?? 2);
    const ids = (b: number) => this.#order.slice(b * bs, (b + 1) * bs);
    let next: Promise<KeyframeBatch | null> | null = this.length > 0 ? this.#batch(ids(0), sem) : null;
    try {
      for (let b = 0; b < this.length; b++) {
        const cur = await next!;
        next = b + 1 < this.length ? this.#batch(ids(b + 1), sem) : null;
        next?.catch(() => undefined);
        if (cur) yield cur;
      }
    } finally {
      // The consumer stopped early or an error escaped: free the batch being prepared.
      next?.then((x) => x?.dispose(), () => undefined);
    }
  }
}
