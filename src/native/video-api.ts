/** The addon's video functions (native/video_*.cc, native/augment.cc); part of NativeAddon. */
import { type Handle as H } from './addon.js';

export interface NativeAugmentSpec {
  size: number;
  blurKernel: number;
  mean: readonly number[];
  std: readonly number[];
}

export interface NativeProbe {
  container: string;
  codec: string;
  /** As displayed: sample aspect ratio and display rotation applied (what decoding returns by default). */
  width: number;
  height: number;
  /** As coded in the stream. */
  storedWidth: number;
  storedHeight: number;
  sampleAspectRatio: number;
  fps: number;
  frames: number;
  duration: number;
  rotation: number;
}

export interface NativeDecodeOptions {
  shortSide?: number;
  height?: number;
  width?: number;
  decoderThreads?: number;
  seek?: boolean;
  skipNonRef?: boolean;
  timeoutMs?: number;
}

/**
 * Bounds on what one video file may cost, process-wide (native/video_limits.h). A file beyond them
 * fails alone with an error naming it ("frame too large", "timed out"...), which the loader reports
 * as a bad file.
 */
export interface NativeVideoLimits {
  /** Largest decoded or displayed frame, width x height (default 8192 x 8192). */
  maxFramePixels: number;
  /** Largest long side / short side when resizing by the short side (default 8). */
  maxAspectRatio: number;
  /** Largest uint8 output of one decodeClips call (default 1 GiB), checked before allocating. */
  maxOutputBytes: number;
  /** Most video frames (packets) indexed in one file (default 2^21, about 23 h at 25 fps). */
  maxFrames: number;
  /** Memory of the frame-index cache shared by all files (default 256 MiB). */
  indexCacheBytes: number;
  /** Default deadline of one probe or decode call in ms (default 60000); a stalled read then fails. */
  timeoutMs: number;
}

export interface NativeDecodeResult {
  frames: H;
  frameCount: number;
  retried: boolean;
  firstError?: string;
  decodedFrames: number;
}

export interface NativeEncodeOptions {
  fps?: number;
  codec?: string;
  gop?: number;
  crf?: number;
  bframes?: number;
}

export interface NativeVideo {
  // probe, decode, encode and augment return promises (libuv worker threads); the limits are synchronous
  probeVideo(path: string, opts?: { timeoutMs?: number }): Promise<NativeProbe>;
  decodeClips(path: string, starts: readonly number[], frames: number, stride: number, opts?: NativeDecodeOptions): Promise<NativeDecodeResult>;
  encodeVideo(path: string, frames: H, opts?: NativeEncodeOptions): Promise<void>;
  augmentClip(frames: H, params: readonly object[], spec: NativeAugmentSpec, out?: H): Promise<H>;
  /** Synchronous: every clip on the calling thread and libtorch's intra-op threads. */
  augmentClips(clips: readonly (readonly [H, readonly object[], NativeAugmentSpec, H])[]): void;
  videoLimits(): NativeVideoLimits;
  setVideoLimits(limits: Partial<NativeVideoLimits>): NativeVideoLimits;
  videoIndexCacheStats(): { entries: number; bytes: number };
}
