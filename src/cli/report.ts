/** `cvrl report RUNDIR... [--out report.html] [--title T] [--samples N] [--embeddings FILE]...`. */
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
    .option('--embeddings <file>', 'an extra embeddings .safetensors file (its .jsonl index beside it); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (runDirs: string[], o: { out: string; title: string; samples: string; embeddings: string[] }) => {
      const samples = Number(o.samples);
      if (!/^\d+$/.test(o.samples.trim()) || !Number.isSafeInteger(samples)) throw new UsageError(`--samples must be a non-negative integer, got '${o.samples}'`);
      const r = await writeReport(o.out, {
        runDirs, title: o.title, samples, embeddings: o.embeddings,
        onWarning: (w) => console.error(`cvrl report: warning: ${w}`),
      });
      console.log(`${o.out}: ${r.runs.length} run(s), ${r.charts} charts, ${r.frames} clip frames, ${(Buffer.byteLength(r.html) / 1024).toFixed(0)} KiB${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}`);
    });
}
