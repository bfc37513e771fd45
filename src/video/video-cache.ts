/**
 * What a loader learns about its videos, kept across epochs: frame counts, sizes, unreadable files,
 * and whole decoded videos (FrameCache). A small dataset (the CPU preset's: 400 videos, 600 steps)
 * has each video decoded dozens of times, and on a few cores decoding takes its CPU time from the
 * training step. Admission only: once the budget is spent, further videos are decoded per sample as
 * before (evicting would decode whole videos only to throw them away).
 */
import { Tensor } from '../torch/tensor.js';
import { fromTypedArray } from '../torch/creation.js';

/** The frame cache's default budget in MiB (pretrain's frameCacheMb, linear-eval's and finetune's --frame-cache-mb). */
export const DEFAULT_FRAME_CACHE_MB = 1024;

/** A budget in MiB as the bytes VideoCache takes. */
export function frameCacheBytes(mb = DEFAULT_FRAME_CACHE_MB): number {
  return mb * 2 ** 20;
}

export interface CachedClipsRequest {
  starts: number[];
  frames: number;
  stride: number;
  /** Frames in the video (probe) and its displayed [width, height], for the size check before decoding it whole. */
  frameCount: number;
  size?: [number, number];
  shortSide: number;
}

export class FrameCache {
  #used = 0;
  readonly #videos = new Map<string, Promise<Tensor | null>>();

  /** budgetBytes: 0 turns the cache off. */
  constructor(readonly budgetBytes: number) {
    if (!Number.isFinite(budgetBytes) || budgetBytes < 0) throw new RangeError(`frame cache budget must be >= 0 bytes, got ${budgetBytes}`);
  }

  get usedBytes(): number {
    return this.#used;
  }

  /**
   * One uint8 clip [T, H, W, 3] per start, cut from the cached video (frames past the end wrap to the
   * start, as decodeClips does), decoding it whole through `decodeWhole` on first use if it fits the
   * budget; null when it does not fit or could not be decoded whole (the caller decodes the clips
   * itself). A clip that does not wrap is a strided view of the cached frames, not a copy: cutting
   * runs on the event loop's thread, between training steps. `decodeWhole` returns the whole video
   * as one clip, uint8 [1, L, H, W, 3].
   */
  async clips(path: string, r: CachedClipsRequest, decodeWhole: () => Promise<Tensor>): Promise<Tensor[] | null> {
    let video = this.#videos.get(path);
    if (video === undefined) {
      const estimate = this.#estimate(r);
      if (estimate === 0 || this.#used + estimate > this.budgetBytes) return null;
      this.#used += estimate; // reserved now, so that videos decoding meanwhile see it
      video = this.#admit(estimate, decodeWhole);
      this.#videos.set(path, video);
    }
    const frames = await video;
    if (frames === null) return null;
    const n = frames.size(0), span = (r.frames - 1) * r.stride + 1;
    return r.starts.map((s) => {
      if (s + span <= n) return frames.slice(0, s, s + span, r.stride);
      const index = fromTypedArray(Int32Array.from({ length: r.frames }, (_, t) => (s + t * r.stride) % n));
      const clip = frames.indexSelect(0, index);
      index.dispose();
      return clip;
    });
  }

  /** Bytes of the video decoded whole, from its displayed size (0: unknown, or the cache is off). */
  #estimate(r: CachedClipsRequest): number {
    const [w, h] = r.size ?? [0, 0];
    if (this.budgetBytes === 0 || w < 1 || h < 1) return 0;
    const short = Math.min(w, h), long = Math.max(w, h);
    return r.frameCount * r.shortSide * Math.round((long * r.shortSide) / short) * 3;
  }

  async #admit(estimate: number, decodeWhole: () => Promise<Tensor>): Promise<Tensor | null> {
    let frames: Tensor;
    try {
      const clip = await decodeWhole();
      frames = clip.select(0, 0);
      clip.dispose();
    } catch {
      this.#used -= estimate;
      return null; // the per-sample decode reports the file if it is really unreadable
    }
    this.#used += frames.numel - estimate;
    if (this.#used > this.budgetBytes) {
      this.#used -= frames.numel;
      frames.dispose();
      return null;
    }
    return frames;
  }
}

/** Frame counts, sizes, unreadable files and decoded videos, shared across epochs of one loader configuration. */
export class VideoCache {
  readonly frames = new Map<string, number>();
  /** Displayed width and height from the probe. */
  readonly sizes = new Map<string, [number, number]>();
  readonly bad = new Map<string, string>();
  /** Whole decoded videos for training samples (budget in bytes; 0: none). */
  readonly decoded: FrameCache;
  constructor(frameCacheBytes = 0) {
    this.decoded = new FrameCache(frameCacheBytes);
  }
}
