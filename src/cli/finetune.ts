/** `cvrl finetune`: fine-tune the whole network on all or a fraction of the labels, or train from scratch. */
import { TEST_VIEWS } from '../video/samplers.js';
import type { Command } from 'commander';
import { runFinetune } from '../jobs/run-classification.js';
import { addEvalOptions, evalJob, type EvalFlags } from './eval-options.js';
import { labelFraction, nonNegative, numberIn, positiveInt, positiveNumber } from './parse.js';

const VIEWS = TEST_VIEWS;

export function registerFinetune(program: Command): void {
  const cmd = program.command('finetune').description('fine-tune encoder + dropout/linear head end to end (semi-supervised with --label-fraction; supervised baseline with --scratch)');
  addEvalOptions(cmd, VIEWS, { training: true })
    .option('--scratch', 'random initial weights with the same architecture and schedule (the supervised baseline)')
    .option('--label-fraction <x>', 'class-balanced, seeded fraction of the training labels (CVRL: 0.01, 0.1)', labelFraction, 1)
    .option('--epochs <n>', 'training epochs', positiveInt('--epochs'), 30)
    .option('--lr <x>', 'SGD learning rate (warm-up then cosine, momentum 0.9)', positiveNumber('--lr'), 0.01)
    .option('--backbone-lr-mult <x>', 'encoder learning rate as a multiple of the head\'s', nonNegative('--backbone-lr-mult'), 1)
    .option('--warmup-epochs <n>', 'linear warm-up epochs', nonNegative('--warmup-epochs'), 1)
    .option('--crop-area-min <x>', 'smallest random-crop area of training clips, as a fraction of the frame', numberIn('--crop-area-min', 0, 1, { openMin: true }), 0.3)
    .option('--flip-prob <p>', 'horizontal flip probability of training clips (0 when classes depend on left vs right)', numberIn('--flip-prob', 0, 1), 0.5)
    .option('--weight-decay <x>', 'weight decay on kernels', nonNegative('--weight-decay'), 1e-4)
    .option('--dropout <p>', 'dropout before the linear head', numberIn('--dropout', 0, 1, { openMax: true }), 0.5)
    .option('--bf16', 'bfloat16 autocast on CPU')
    .action(async (f: EvalFlags & { scratch?: boolean; labelFraction: number; epochs: number; lr: number; warmupEpochs: number; backboneLrMult: number; weightDecay: number; cropAreaMin: number; flipProb: number; dropout: number; bf16?: boolean }) => {
      const job = evalJob({ ...f, randomInit: f.randomInit || f.scratch }, VIEWS);
      const m = await runFinetune({
        ...job, labelFraction: f.labelFraction,
        finetune: { epochs: f.epochs, lr: f.lr, warmupEpochs: f.warmupEpochs, backboneLrMult: f.backboneLrMult, weightDecay: f.weightDecay, cropAreaMin: f.cropAreaMin, flipProb: f.flipProb, dropout: f.dropout, bf16: f.bf16, batchSize: f.batch },
      });
      console.log(JSON.stringify({ out: f.out, top1: m.top1, top5: m.top5, splits: m.splits }));
    });
}
