/** `cvrl demo`: synthetic data -> CVRL pre-training -> evaluations against baselines -> report. */
import type { Command } from 'commander';
import { runDemo } from '../apps/demo.js';
import { positiveInt } from './parse.js';
import { DIRECTIONAL_CLASSES } from '../video/synth-scene.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('end-to-end demo on a built-in synthetic dataset whose test videos show looks unseen in training (6-11 minutes on 2 cores with native bf16, longer in fp32): pre-training, linear probe, 10% fine-tuning, supervised baseline, HTML report')
    .option('--out <dir>', 'output folder (data, pre-training run, metrics)', 'runs/demo')
    .option('--config <file>', 'pre-training recipe (default configs/cpu-small.yaml)')
    .option('--classes <n>', `synthetic motion classes (2-${DIRECTIONAL_CLASSES.length})`, positiveInt('--classes'))
    .option('--videos-per-class <n>', 'synthetic videos per class', positiveInt('--videos-per-class'))
    .option('--quiet', 'no progress bar')
    .action(async (o: { out: string; config?: string; classes?: number; videosPerClass?: number; quiet?: boolean }) => {
      await runDemo({ out: o.out, config: o.config, classes: o.classes, videosPerClass: o.videosPerClass, quiet: o.quiet });
    });
}
