/**
 * A small seeded generator (xoshiro128**, seeded through SplitMix32) for samplers and augmentation.
 * Streams are derived from (seed, ...keys) so that a sample's randomness depends only on its own
 * coordinates (seed, epoch, index), never on worker scheduling or call order.
 */
export class Rng {
  #s: Uint32Array;

  constructor(state: Uint32Array) {
    if (state.length !== 4 || state.every((x) => x === 0)) throw new RangeError('Rng state must be 4 words, not all zero');
    this.#s = Uint32Array.from(state);
  }

  /** A generator for a seed and any number of integer keys (e.g. epoch, sample index, view). */
  static from(seed: number, ...keys: number[]): Rng {
    let h = splitmix(seed >>> 0 ^ Math.floor(seed / 2 ** 32));
    for (const k of keys) h = splitmix(h ^ splitmix((k >>> 0) ^ Math.floor(k / 2 ** 32) * 0x9e3779b9));
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) s[i] = h = splitmix(h + i);
    if (s.every((x) => x === 0)) s[0] = 1;
    return new Rng(s);
  }

  /** A uint32. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** Uniform in [0, 1) with 53 bits. */
  next(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer uniform in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int needs n >= 1, got ${n}`);
    return Math.floor(this.next() * n);
  }
  bernoulli(p: number): boolean {
    return this.next() < p;
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  state(): number[] {
    return Array.from(this.#s);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function splitmix(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
