/**
 * `cvrl embed`: one view-averaged feature vector per video, for a dataset (--data) streamed to
 * safetensors + a JSON Lines index, or for video FILEs named on the command line.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import type { Command } from 'commander';
import { runEmbed } from '../jobs/run-embedding.js';
import { runEmbedFiles } from '../jobs/embed-files.js';
import { addEvalOptions, evalJob, type EvalFlags } from './eval-options.js';
import { UsageError } from './parse.js';
import { kebab } from './flags.js';

const VIEWS = TEST_VIEWS;
// Dataset flags that make no sense with FILEs.
const DATASET_FLAGS = ['data', 'format', 'annotations', 'split', 'testData', 'testAnnotations', 'trainSubset', 'testSubset', 'subset'] as const;

type Flags = EvalFlags & { subset?: string };

async function embedFiles(files: string[], f: Flags): Promise<void> {
  const given = DATASET_FLAGS.filter((k) => f[k] !== undefined).map((k) => `--${kebab(k)}`);
  if (given.length) throw new UsageError(`embed takes video FILEs or a dataset (--data), not both; drop ${given.join(', ')}`);
  const r = await runEmbedFiles({
    files,
    encoder: { checkpoint: f.checkpoint, weights: f.weights, arch: f.arch, width: f.width, randomInit: f.randomInit, seed: f.seed, device: f.device },
    clip: { frames: f.frames, stride: f.stride, size: f.size, decodeShortSide: f.decodeShortSide },
    temporalViews: f.temporalViews, spatialViews: f.spatialViews as 1 | 3 | undefined, threads: f.threads, seed: f.seed, out: f.out,
    // Without --out the features are the output: one JSON line per file, as `cvrl probe --json` does.
    onRow: f.out ? undefined : (row) => console.log(JSON.stringify(row.error !== undefined ? row : { path: row.path, dim: row.features.length, features: Array.from(row.features) })),
    log: f.quiet ? undefined : (line) => console.error(line),
  });
  if (f.out) console.log(JSON.stringify(r));
  if (r.failed.length) process.exitCode = 1;
}

export function registerEmbed(program: Command): void {
  const cmd = program.command('embed')
    .description('one feature vector per video (mean over views): of a dataset (--data ... --out FILE.safetensors|DIR), or of video FILEs (JSON lines on stdout, or --out)')
    .argument('[files...]', 'video files to embed instead of a dataset');
  addEvalOptions(cmd, VIEWS, { dataOptional: true })
    .option('--subset <name>', 'which videos of a split: train or test (Kinetics: a split-column value); default: train, or all for folder/list')
    .action(async (files: string[], f: Flags) => {
      if (files.length) return embedFiles(files, f);
      const missing = (['data', 'format', 'out'] as const).filter((k) => f[k] === undefined).map((k) => `--${k}`);
      if (missing.length) throw new UsageError(`embed needs video FILEs, or a dataset: missing ${missing.join(', ')}`);
      const r = await runEmbed({ ...evalJob(f, VIEWS), subset: f.subset });
      console.log(JSON.stringify(r));
    });
}
