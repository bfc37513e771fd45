/**
 * Video files through the native FFmpeg layer: probe, frame-exact clip decoding, encoding.
 * Decoded clips are uint8 [clips, T, H, W, 3] as displayed (display rotation and sample aspect ratio
 * applied, as the ffmpeg CLI and players show them); frame i is the i-th frame of a full sequential decode.
 * Only regular local files in video containers are read; symbolic links are followed and errors name
 * their target. Each call has a deadline and one file's memory is bounded: see VideoLimits.
 */
import { native, type NativeProbe, type NativeVideoLimits } from '../native/addon.js';
import { Tensor, wrap } from '../torch/tensor.js';

/**
 * container: the demuxer name, e.g. "avi" or "mov,mp4,m4a,3gp,3g2,mj2"; frames: exact (counted from
 * the packet index, not container metadata); width x height: as displayed (storedWidth x storedHeight
 * as coded); rotation: clockwise display rotation in degrees (quarter turns are applied when decoding).
 */
export interface VideoInfo extends NativeProbe {
  path: string;
}

/** Bounds on what one video file may cost, process-wide; the fields are documented at NativeVideoLimits. */
export type VideoLimits = NativeVideoLimits;

export function videoLimits(): VideoLimits {
  return native.videoLimits();
}

/** Changes some limits (for every later call in this process); returns all of them. */
export function setVideoLimits(l: Partial<VideoLimits>): VideoLimits {
  return native.setVideoLimits(l);
}

export interface ProbeOptions {
  /** Deadline of this call in ms (default: videoLimits().timeoutMs). */
  timeoutMs?: number;
}

export async function probeVideo(path: string, o: ProbeOptions = {}): Promise<VideoInfo> {
  const p = await native.probeVideo(path, o);
  return { path, ...p };
}

export interface DecodeSize {
  /** Resize so that the shorter side has this length, keeping the aspect ratio. */
  shortSide?: number;
  /** Or an exact output size. */
  height?: number;
  width?: number;
}

export interface DecodeOptions {
  /** Start frame of each clip. */
  starts: readonly number[];
  /** Frames per clip. */
  frames: number;
  /** Temporal stride between frames of a clip. */
  stride: number;
  /** Output size (default: the video's own). */
  size?: DecodeSize;
  /** FFmpeg decoder threads per video (parallelism normally comes from decoding several videos at once). */
  decoderThreads?: number;
  /** Seek to keyframes (default); false decodes sequentially from the start. */
  seek?: boolean;
  /**
   * Let the decoder skip non-reference frames (h264 nal_ref_idc 0, MPEG-4 B-VOPs) that no clip
   * wants (default true). Exact: such frames affect no other frame. Applies to seeking decodes of
   * h264 and MPEG-4 streams with presentation timestamps; false decodes every frame (A/B checks).
   */
  skipNonRef?: boolean;
  /** Deadline of this call in ms, the sequential retry included (default: videoLimits().timeoutMs). */
  timeoutMs?: number;
}

export interface DecodedClips {
  /** uint8 [clips, T, H, W, 3]. */
  frames: Tensor;
  /** Frames in the video (clip frames past the end wrap around to the start). */
  frameCount: number;
  /** The seeking decode failed and the clips came from a sequential decode from the start. */
  retried: boolean;
  firstError?: string;
  /** Frames the decoder produced for this call (all attempts); fewer than read when non-reference frames were skipped. */
  decodedFrames: number;
}

/**
 * Decodes clips frame-exactly on a native worker thread. Rejects with an error naming the file if
 * the video cannot be read even by the sequential retry; never returns blank or partial frames.
 */
export async function decodeClips(path: string, o: DecodeOptions): Promise<DecodedClips> {
  if (!Number.isInteger(o.frames) || o.frames < 1) throw new RangeError(`frames must be a positive integer, got ${o.frames}`);
  if (!Number.isInteger(o.stride) || o.stride < 1) throw new RangeError(`stride must be a positive integer, got ${o.stride}`);
  if (o.starts.length === 0 || o.starts.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError(`clip starts must be non-negative integers, got [${o.starts.join(', ')}]`);
  const r = await native.decodeClips(path, o.starts, o.frames, o.stride, { ...o.size, decoderThreads: o.decoderThreads, seek: o.seek, skipNonRef: o.skipNonRef, timeoutMs: o.timeoutMs });
  return { frames: wrap(r.frames), frameCount: r.frameCount, retried: r.retried, firstError: r.firstError, decodedFrames: r.decodedFrames };
}

export type VideoCodec = 'h264' | 'mpeg4' | 'mjpeg' | 'vp9';

export interface WriteOptions {
  fps?: number;
  /** h264 (.mp4/.mkv), mpeg4 (.avi, xvid-like), mjpeg, vp9 (.webm). */
  codec?: VideoCodec;
  /** Keyframe interval. */
  gop?: number;
  crf?: number;
  bframes?: number;
}

/** Encodes uint8 frames [T, H, W, 3] to a file; the container follows the file extension. */
export async function writeVideo(path: string, frames: Tensor, o: WriteOptions = {}): Promise<void> {
  if (frames.dtype !== 'uint8' || frames.ndim !== 4 || frames.size(3) !== 3) {
    throw new RangeError(`writeVideo: expected uint8 frames [T, H, W, 3], got ${frames.dtype} [${frames.shape.join(', ')}]`);
  }
  await native.encodeVideo(path, frames.handle, { fps: 25, codec: 'h264', gop: 12, crf: 23, bframes: 0, ...o });
}
