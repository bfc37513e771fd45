/** Test videos whose every frame differs (a wrong frame index is always visible). */
import { join } from 'node:path';
import { fromTypedArray } from '../../src/torch/index.js';
import { writeVideo, type WriteOptions } from '../../src/video/index.js';

export function movingPattern(T: number, H: number, W: number): Uint8Array {
  const data = new Uint8Array(T * H * W * 3);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = ((t * H + y) * W + x) * 3;
        const inBox = Math.abs(x - ((t * 5) % W)) < 6 && Math.abs(y - ((t * 3) % H)) < 6;
        data[i] = inBox ? 250 : (x * 3 + t * 7) & 255;
        data[i + 1] = inBox ? 250 : (y * 4) & 255;
        data[i + 2] = (t * 9) & 255;
      }
    }
  }
  return data;
}

export async function makeVideo(dir: string, name: string, o: WriteOptions & { frames?: number; height?: number; width?: number } = {}): Promise<string> {
  const T = o.frames ?? 60, H = o.height ?? 48, W = o.width ?? 64;
  const t = fromTypedArray(movingPattern(T, H, W), [T, H, W, 3]);
  const path = join(dir, name);
  try {
    await writeVideo(path, t, o);
  } finally {
    t.dispose();
  }
  return path;
}
