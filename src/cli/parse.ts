/** Flag parsers that name the flag in their errors, and the error for a bad command line (exit status 2). */
import { InvalidArgumentError } from 'commander';

/** A command line the CLI cannot run (a bad flag value or combination); `cvrl` exits with status 2. */
export class UsageError extends Error {}

// Number('') is 0 and Number(' ') too: an empty value must not pass as zero.
function num(v: string): number {
  return v.trim() === '' ? NaN : Number(v);
}

export function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = num(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function nonNegativeInt(flag: string): (v: string) => number {
  return (v) => {
    const n = num(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

export function positiveNumber(flag: string): (v: string) => number {
  return (v) => {
    const n = num(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number, got '${v}'`);
    return n;
  };
}

export function nonNegative(flag: string): (v: string) => number {
  return (v) => {
    const n = num(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a number >= 0, got '${v}'`);
    return n;
  };
}

/** A number in [min, max], or (min, max] with `openMin`, or [min, max) with `openMax`. */
export function numberIn(flag: string, min: number, max: number, o: { openMin?: boolean; openMax?: boolean } = {}): (v: string) => number {
  const range = `${o.openMin ? '(' : '['}${min}, ${max}${o.openMax ? ')' : ']'}`;
  return (v) => {
    const n = num(v);
    const ok = Number.isFinite(n) && (o.openMin ? n > min : n >= min) && (o.openMax ? n < max : n <= max);
    if (!ok) throw new InvalidArgumentError(`${flag} must be a number in ${range}, got '${v}'`);
    return n;
  };
}

/** --label-fraction: a fraction of the training labels in (0, 1]. */
export function labelFraction(v: string): number {
  const n = num(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`--label-fraction must be in (0, 1], e.g. 0.01 or 0.1, got '${v}'`);
  return n;
}
