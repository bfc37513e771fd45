/** The ffmpeg CLI as an independent reference and as a maker of unusual test videos. */
import { spawnSync } from 'node:child_process';

let available: boolean | undefined;
/** Whether the ffmpeg CLI runs; under CI its absence is a set-up failure (scripts/setup.sh installs it). */
export function ffmpegAvailable(): boolean {
  if (available === undefined) {
    available = spawnSync('ffmpeg', ['-version']).status === 0;
    if (!available && process.env.CI) throw new Error('ffmpeg CLI missing: scripts/setup.sh should install it');
  }
  return available;
}

/** Runs `ffmpeg -v error -y ARGS`; throws with its messages on failure. */
export function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The first `frames` frames as the CLI decodes them by default (autorotation on), as rgb24 bytes. */
export function cliRgb(path: string, o: { vf?: string; frames?: number; passthrough?: boolean } = {}): Uint8Array {
  const args = ['-i', path, ...(o.vf ? ['-vf', o.vf] : []), ...(o.passthrough ? ['-fps_mode', 'passthrough'] : []), '-frames:v', String(o.frames ?? 1), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  return new Uint8Array(ffmpeg(args));
}

/** Mean and maximum absolute difference of two equally long byte arrays, and the share of bytes that differ. */
export function byteDiff(a: Uint8Array, b: Uint8Array): { mean: number; max: number; differing: number } {
  if (a.length !== b.length) throw new Error(`byteDiff: ${a.length} vs ${b.length} bytes`);
  let sum = 0, max = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
    if (d) n++;
  }
  return { mean: sum / a.length, max, differing: n / a.length };
}
