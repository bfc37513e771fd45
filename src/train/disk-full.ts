/**
 * A full disk during training (ENOSPC, or EDQUOT past a quota) should cost at most some logs or a
 * checkpoint, not the run: writes go through `attempt`, which warns once per kind of write and lets
 * training continue; any other error still propagates.
 */
import { appendFileSync } from 'node:fs';

export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export class DiskFullPolicy {
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<string>();
  constructor(warn: (message: string) => void) {
    this.#warn = warn;
  }
  /** Runs `write`; on a full disk warns (once per `kind`) with `then` and returns undefined. */
  attempt<T>(kind: string, write: () => T, then: string): T | undefined {
    try {
      return write();
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      if (!this.#warned.has(kind)) {
        this.#warned.add(kind);
        this.#warn(`${(e as Error).message}: ${then} (warned once)`);
      }
      return undefined;
    }
  }
}

/** metrics.jsonl appends; after a failed (possibly partial) append the next line starts on a new line. */
export class MetricsLog {
  #torn = false;
  constructor(readonly file: string, private readonly policy: DiskFullPolicy) {}
  append(record: object): void {
    const line = `${this.#torn ? '\n' : ''}${JSON.stringify(record)}\n`;
    const ok = this.policy.attempt('metrics', () => { appendFileSync(this.file, line); return true; }, `${this.file}: metrics not appended; training continues`);
    this.#torn = !ok;
  }
}
