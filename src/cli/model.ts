/** `cvrl model summary|list`: describe architectures. */
import type { Command } from 'commander';
import { modelSummary } from '../models/summary.js';
import { listModels } from '../models/registry.js';
import { positiveInt, positiveNumber } from './parse.js';

export function registerModel(program: Command): void {
  const model = program.command('model').description('inspect model architectures');
  model
    .command('summary')
    .description('parameter count, feature dimension, feature-map shape and analytic GFLOPs (1 multiply-add = 1 FLOP) per clip')
    .requiredOption('--arch <name>', 'architecture name (see `cvrl model list`)')
    .option('--width <w>', 'width multiplier', positiveNumber('--width'))
    .option('--frames <t>', 'frames per clip', positiveInt('--frames'), 16)
    .option('--size <s>', 'crop size (height = width)', positiveInt('--size'), 224)
    .option('--batch <b>', 'batch size shown in shapes', positiveInt('--batch'), 1)
    .option('--json', 'print one JSON object')
    .action((o: { arch: string; width?: number; frames: number; size: number; batch: number; json?: boolean }) => {
      const s = modelSummary(o);
      if (o.json) {
        console.log(JSON.stringify(s));
        return;
      }
      console.log(`${s.arch} (width ${s.width}) on [${s.input_shape.join(', ')}]`);
      console.log(`  backbone parameters   ${(s.params / 1e6).toFixed(2)}M (trainable ${(s.trainable_params / 1e6).toFixed(2)}M)`);
      console.log(`  feature dimension     ${s.feature_dim}`);
      s.stage_shapes.forEach((shape, i) => console.log(`  layer${i + 1} output         [${shape.join(', ')}]`));
      console.log(`  feature map           [${s.feature_map_shape.join(', ')}]`);
      console.log(`  compute per clip      ${s.gflops} GFLOPs`);
    });
  model
    .command('list')
    .description('registered architectures')
    .option('--json', 'one JSON object per line')
    .action((o: { json?: boolean }) => {
      for (const m of listModels()) console.log(o.json ? JSON.stringify(m) : `${m.name.padEnd(18)} ${m.description}`);
    });
}
