/** Pixel measurements of rendered synthetic scenes ([T, H, W, 3] uint8). */

/** Per frame: mean x and y of the pixels that have the object's colour, and how many there are. */
export function objectTrack(rgb: Uint8Array, T: number, H: number, W: number, fg: number[]): { x: number; y: number; area: number }[] {
  return Array.from({ length: T }, (_, f) => {
    let sx = 0, sy = 0, n = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = ((f * H + y) * W + x) * 3;
        if (rgb[i] === fg[0] && rgb[i + 1] === fg[1] && rgb[i + 2] === fg[2]) { sx += x; sy += y; n++; }
      }
    }
    return { x: sx / n, y: sy / n, area: n };
  });
}

/** Mean x and y of the object's pixels per frame (NaN where it is not visible). */
export function centroids(rgb: Uint8Array, T: number, H: number, W: number, fg: number[]): [number, number][] {
  return objectTrack(rgb, T, H, W, fg).map((p) => [p.x, p.y]);
}
