/** `cvrl retrieve`: nearest-neighbour retrieval (Recall@k) and a kNN classifier on frozen features. */
import { TEST_VIEWS } from '../video/samplers.js';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runRetrieve } from '../jobs/run-embedding.js';
import { addEvalOptions, evalJob, type EvalFlags } from './eval-options.js';
import { positiveInt, positiveNumber } from './parse.js';

const VIEWS = { temporal: TEST_VIEWS.temporal, spatial: 1 as const }; // one crop: a gallery of clips, not a test score

function ksArg(v: string): number[] {
  const ks = v.split(',').map(Number);
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new InvalidArgumentError(`--ks must be positive integers separated by commas, got '${v}'`);
  return ks;
}

export function registerRetrieve(program: Command): void {
  const cmd = program.command('retrieve').description('clip retrieval: test videos query the training videos by cosine similarity; Recall@k and kNN top-1');
  addEvalOptions(cmd, VIEWS)
    .option('--ks <list>', 'recall cut-offs', ksArg, [1, 5, 10, 20])
    .option('--knn-k <n>', 'neighbours that vote in the kNN classifier', positiveInt('--knn-k'), 20)
    .option('--knn-temperature <x>', 'vote weight exp(similarity / T)', positiveNumber('--knn-temperature'), 0.07)
    .action(async (f: EvalFlags & { ks: number[]; knnK: number; knnTemperature: number }) => {
      const m = await runRetrieve({ ...evalJob(f, VIEWS), ks: f.ks, knnK: f.knnK, knnTemperature: f.knnTemperature });
      console.log(JSON.stringify({ out: f.out, recall: m.recall, knnTop1: m.knnTop1 }));
    });
}
