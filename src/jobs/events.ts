/**
 * TensorBoard event files of `linear-eval` and `finetune`: per-epoch training scalars at the
 * evaluation's own optimiser step, the test scores at the last step, and the job's settings as
 * hparams. One run directory per split when every split is run (OUT/split1, ...), so that steps
 * restarting at each split never share a curve; OUT itself otherwise.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EventWriter, hparamValues } from '../formats/tensorboard.js';
import { type EpochRecord } from '../eval/supervised.js';

const EVENT_FILE = /^events\.out\.tfevents\./;

export class EvalEvents {
  readonly #writers = new Map<string, EventWriter>();
  readonly #lastStep = new Map<string, number>();
  #failed = false;

  constructor(readonly out: string, readonly command: string, readonly perSplitDirs: boolean, readonly log: (line: string) => void = () => undefined) {
    // metrics.jsonl starts afresh with each job: so do the event files (a rerun's curves would overlay the old ones).
    if (!existsSync(out)) return;
    for (const d of [out, ...readdirSync(out).filter((n) => /^split\d+$/.test(n)).map((n) => join(out, n))]) {
      if (!statSync(d).isDirectory()) continue;
      for (const f of readdirSync(d)) if (EVENT_FILE.test(f)) rmSync(join(d, f));
    }
  }

  dirOf(split: number | undefined): string {
    return this.perSplitDirs && split !== undefined ? join(this.out, `split${split}`) : this.out;
  }

  epoch(split: number | undefined, r: EpochRecord): void {
    this.#write(split, (w, dir) => {
      this.#lastStep.set(dir, r.step);
      w.scalars(r.step, { [`${this.command}/loss`]: r.loss, [`${this.command}/lr`]: r.lr, [`${this.command}/train_top1`]: r.train_top1 });
    });
  }

  /** Test scores at the last training step, and the settings (hparams) they were obtained with. */
  finish(split: number | undefined, scores: { top1: number; top5: number }, settings: Record<string, unknown>): void {
    this.#write(split, (w, dir) => {
      w.scalars(this.#lastStep.get(dir) ?? 0, { 'test/top1': scores.top1, 'test/top5': scores.top5 });
      // Splits of one job form one hparams group (TensorBoard averages a group's metrics).
      w.hparams(hparamValues({ ...settings, ...(split !== undefined ? { split } : {}) }), this.perSplitDirs ? { group: `${this.command}:${basename(this.out)}` } : {});
    });
  }

  close(): void {
    for (const w of this.#writers.values()) w.close();
    this.#writers.clear();
  }

  /** A failed write (full disk) costs the event files, not the evaluation: warn once and stop writing. */
  #write(split: number | undefined, f: (w: EventWriter, dir: string) => void): void {
    if (this.#failed) return;
    const dir = this.dirOf(split);
    try {
      let w = this.#writers.get(dir);
      if (!w) {
        mkdirSync(dir, { recursive: true });
        w = new EventWriter(dir);
        this.#writers.set(dir, w);
      }
      f(w, dir);
    } catch (e) {
      this.#failed = true;
      this.log(`${this.command}: TensorBoard events not written (${(e as Error).message}); the evaluation continues`);
    }
  }
}
