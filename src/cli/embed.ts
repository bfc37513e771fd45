/** `cvrl embed`: one view-averaged feature vector per video, streamed to safetensors + a JSON Lines index. */
import { TEST_VIEWS } from '../video/samplers.js';
import type { Command } from 'commander';
import { runEmbed } from '../jobs/run-embedding.js';
import { addEvalOptions, evalJob, type EvalFlags } from './eval-options.js';

const VIEWS = TEST_VIEWS;

export function registerEmbed(program: Command): void {
  const cmd = program.command('embed').description('write one feature vector per video (mean over views) to FILE.safetensors + FILE.jsonl, or into a directory');
  addEvalOptions(cmd, VIEWS)
    .option('--subset <name>', 'which videos of a split: train or test (Kinetics: a split-column value); default: train, or all for folder/list')
    .action(async (f: EvalFlags & { subset?: string }) => {
      const r = await runEmbed({ ...evalJob(f, VIEWS), subset: f.subset });
      console.log(JSON.stringify(r));
    });
}
