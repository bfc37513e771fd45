/** Progress reporting: one updating line on a terminal, plain periodic lines otherwise. */
export interface ProgressFields {
  step: number;
  total: number;
  epoch: number;
  loss: number;
  lr: number;
  clipsPerSec: number;
  dataWaitShare: number;
  etaSec: number;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function formatProgress(p: ProgressFields): string {
  return `step ${p.step}/${p.total} ep ${p.epoch} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ` +
    `${p.clipsPerSec.toFixed(1)} clips/s data ${(p.dataWaitShare * 100).toFixed(0)}% eta ${duration(p.etaSec)}`;
}

export class Progress {
  readonly #tty: boolean;
  #lastLen = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly every = 10, private readonly quiet = false) {
    this.#tty = Boolean(stream.isTTY);
  }
  update(p: ProgressFields): void {
    if (this.quiet) return;
    const line = formatProgress(p);
    if (this.#tty) {
      const bar = 20, filled = Math.round((bar * p.step) / Math.max(1, p.total));
      const text = `[${'#'.repeat(filled)}${'.'.repeat(bar - filled)}] ${line}`;
      this.stream.write(`\r${text}${' '.repeat(Math.max(0, this.#lastLen - text.length))}`);
      this.#lastLen = text.length;
    } else if (p.step % this.every === 0 || p.step === p.total) {
      this.stream.write(`${line}\n`);
    }
  }
  message(text: string): void {
    if (this.quiet) return;
    if (this.#tty && this.#lastLen) this.stream.write('\n');
    this.#lastLen = 0;
    this.stream.write(`${text}\n`);
  }
  done(): void {
    if (this.#tty && this.#lastLen && !this.quiet) this.stream.write('\n');
    this.#lastLen = 0;
  }
}
