/** `cvrl report RUNDIR... [--out report.html] [--title T] [--samples N] [--smoothing W] [--log-loss] [--embeddings FILE]...`. */
import type { Command } from 'commander';
import { writeReport } from '../report/index.js';
import { UsageError } from './parse.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('one self-contained HTML page (no network) from pre-training and evaluation run directories')
    .argument('[rundirs...]', 'run directories (pretrain, linear-eval, finetune, retrieve, embed, demo outputs)')
    .option('--out <file>', 'output HTML file', 'report.html')
    .option('--title <text>', 'page title', 'cvrl report')
    .option('--samples <n>', 'videos shown as animated clips per pre-training run (0: none)', '4')
    .option('--smoothing <w>', 'EMA weight for noisy curves as in TensorBoard, in [0, 1); 0 draws raw curves only', '0.6')
    .option('--log-loss', 'logarithmic y axes on loss charts')
    .option('--embeddings <file>', 'an extra embeddings .safetensors file (its .jsonl index beside it); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (runDirs: string[], o: { out: string; title: string; samples: string; smoothing: string; logLoss?: boolean; embeddings: string[] }) => {
      const samples = Number(o.samples);
      if (!/^\d+$/.test(o.samples.trim()) || !Number.isSafeInteger(samples)) throw new UsageError(`--samples must be a non-negative integer, got '${o.samples}'`);
      const smoothing = Number(o.smoothing);
      if (o.smoothing.trim() === '' || !(smoothing >= 0 && smoothing < 1)) throw new UsageError(`--smoothing must be a number in [0, 1), got '${o.smoothing}'`);
      const r = await writeReport(o.out, {
        runDirs, title: o.title, samples, embeddings: o.embeddings, smoothing, logLoss: Boolean(o.logLoss),
        onWarning: (w) => console.error(`cvrl report: warning: ${w}`),
      });
      console.log(`${o.out}: ${r.runs.length} run(s), ${r.charts} charts, ${r.frames} clip frames, ${(Buffer.byteLength(r.html) / 1024).toFixed(0)} KiB${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}`);
    });
}
