/** `cvrl export`: a checkpoint's encoder to safetensors or ONNX. */
import type { Command } from 'commander';
import { exportModel } from '../models/export.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export an encoder (and optionally its classifier) from a checkpoint file or run directory, or from a plain state dict')
    .option('--checkpoint <path>', 'checkpoint file, or a run directory (its latest checkpoint)')
    .option('--weights <file>', 'or a plain PyTorch state dict (.safetensors, e.g. torchvision r3d_18) of --arch')
    .option('--arch <name>', 'architecture of --weights')
    .requiredOption('--format <fmt>', 'safetensors (PyTorch keys) or onnx (opset 17)')
    .requiredOption('--out <file>', 'output file')
    .option('--with-head', "include the checkpoint's linear classifier (outputs logits too)")
    .action((o: { checkpoint?: string; weights?: string; arch?: string; format: 'safetensors' | 'onnx'; out: string; withHead?: boolean }) => {
      const r = exportModel(o);
      console.log(`wrote ${r.out} (${r.format}, ${r.featureDim}-d features${r.classes ? `, ${r.classes} classes` : ''})`);
    });
}
