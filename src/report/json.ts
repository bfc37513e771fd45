/** Lenient JSON reading for the report: problems become warnings naming file:line, never a crash. */
import { readFileSync } from 'node:fs';

export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Parses a JSON Lines file; bad lines are reported as file:line and skipped. */
export function readJsonl(file: string, warnings: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  readFileSync(file, 'utf8').split(/\r?\n/).forEach((text, i) => {
    if (!text.trim()) return;
    try {
      const v: unknown = JSON.parse(text);
      if (!isObj(v)) throw new Error('not a JSON object');
      out.push(v);
    } catch (e) {
      warnings.push(`${file}:${i + 1}: skipped malformed line (${(e as Error).message})`);
    }
  });
  return out;
}

/** A whole JSON file; an empty or invalid one is a warning and undefined. */
export function readJsonFile(file: string, warnings: string[]): unknown {
  const text = readFileSync(file, 'utf8');
  if (!text.trim()) {
    warnings.push(`${file}: empty file`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    warnings.push(`${file}: invalid JSON (${(e as Error).message})`);
    return undefined;
  }
}

export function numberArray(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every(isNum) ? v : undefined;
}
