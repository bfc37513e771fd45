/** `cvrl study`: one pre-training recipe over several seeds against the random-init and supervised baselines. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { runStudy, studyTable, STUDY_DATASETS, type StudyDataset } from '../apps/study.js';
import { nonNegativeInt, positiveInt, UsageError } from './parse.js';

function keyValue(v: string, prev: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--set takes KEY=VALUE (a config key, e.g. flipProb=0), got '${v}'`);
  return { ...prev, [v.slice(0, eq)]: parseYaml(v.slice(eq + 1)) as unknown };
}

function epochTriple(v: string): { linear: number; finetune: number; supervised: number } {
  const n = v.split(',').map(Number);
  if (n.length !== 3 || n.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`--eval-epochs takes three positive integers LINEAR,FINETUNE,SUPERVISED, got '${v}'`);
  return { linear: n[0], finetune: n[1], supervised: n[2] };
}

export function registerStudy(program: Command): void {
  program
    .command('study')
    .description('pre-train one recipe with several seeds on a synthetic benchmark, evaluate each against random-init and supervised baselines, print mean and sd per row')
    .requiredOption('--config <file>', 'pre-training recipe (YAML)')
    .requiredOption('--out <dir>', 'study folder: seed-N/ runs, study.json, study.md')
    .option('--dataset <name>', `synthetic benchmark: ${Object.keys(STUDY_DATASETS).join('|')}`, 'hard')
    .option('--seeds <n>', 'number of seeds (0..n-1); each renders its own dataset', positiveInt('--seeds'), 3)
    .option('--first-seed <n>', 'first seed', nonNegativeInt('--first-seed'), 0)
    .option('--set <key=value>', 'override a config key (repeatable), e.g. --set input=diff --set flipProb=0', keyValue)
    .option('--data-cache <dir>', 'where the per-seed datasets are rendered and reused (default <out>/data)')
    .option('--eval-epochs <l,f,s>', 'epochs of the linear probe, 10% fine-tuning and supervised training (default 100,30,40)', epochTriple)
    .option('--quiet', 'no progress bars')
    .action(async (o: { config: string; out: string; dataset: string; seeds: number; firstSeed: number; set?: Record<string, unknown>; dataCache?: string; evalEpochs?: { linear: number; finetune: number; supervised: number }; quiet?: boolean }) => {
      if (!(o.dataset in STUDY_DATASETS)) throw new UsageError(`--dataset must be one of ${Object.keys(STUDY_DATASETS).join(', ')}, got '${o.dataset}'`);
      const r = await runStudy({
        out: o.out, config: o.config, overrides: o.set, dataset: o.dataset as StudyDataset, dataCache: o.dataCache, evalEpochs: o.evalEpochs, quiet: o.quiet,
        seeds: Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i),
      });
      console.log(studyTable(r));
    });
}
