/** `cvrl linear-eval`: linear probe on a frozen encoder, multi-view testing. */
import { TEST_VIEWS } from '../video/samplers.js';
import type { Command } from 'commander';
import { runLinearEval } from '../jobs/run-classification.js';
import { addEvalOptions, evalJob, type EvalFlags } from './eval-options.js';
import { labelFraction, nonNegative, numberIn, positiveInt, positiveNumber } from './parse.js';

const VIEWS = TEST_VIEWS;

export function registerLinearEval(program: Command): void {
  const cmd = program.command('linear-eval').description('train a linear classifier on frozen, L2-normalised encoder features; test on temporal x spatial views');
  addEvalOptions(cmd, VIEWS, { training: true })
    .option('--label-fraction <x>', 'class-balanced, seeded fraction of the training labels (a few-label probe)', labelFraction, 1)
    .option('--epochs <n>', 'training epochs', positiveInt('--epochs'), 100)
    .option('--lr <x>', 'SGD learning rate (cosine decay, momentum 0.9)', positiveNumber('--lr'), 0.1)
    .option('--crop-area-min <x>', 'smallest random-crop area of training clips, as a fraction of the frame', numberIn('--crop-area-min', 0, 1, { openMin: true }), 0.3)
    .option('--flip-prob <p>', 'horizontal flip probability of training clips (0 when classes depend on left vs right)', numberIn('--flip-prob', 0, 1), 0.5)
    .option('--weight-decay <x>', 'weight decay', nonNegative('--weight-decay'), 0)
    .option('--no-augment', 'no crop + flip: compute training features once and reuse them every epoch (much faster)')
    .option('--train-views <n>', 'with --no-augment: evenly spaced clips per training video (x the spatial views), each a sample', positiveInt('--train-views'), 1)
    .action(async (f: EvalFlags & { labelFraction: number; epochs: number; lr: number; weightDecay: number; cropAreaMin: number; flipProb: number; augment: boolean; trainViews: number }) => {
      const job = evalJob(f, VIEWS);
      const m = await runLinearEval({ ...job, labelFraction: f.labelFraction, linear: { epochs: f.epochs, lr: f.lr, weightDecay: f.weightDecay, cropAreaMin: f.cropAreaMin, flipProb: f.flipProb, augment: f.augment, trainViews: f.trainViews, batchSize: f.batch } });
      console.log(JSON.stringify({ out: f.out, top1: m.top1, top5: m.top5, splits: m.splits }));
    });
}
