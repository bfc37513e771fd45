/** `cvrl demo`: the end-to-end CVRL demo (synthetic data, pre-training, linear probe). */
import type { Command } from 'commander';
import { infoReport } from './info.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo (not yet available: needs the video pipeline, models and pre-training)')
    .action(() => {
      const r = infoReport();
      console.log(`cvrl demo: not yet available. The native core is ready (libtorch ${r.libtorchVersion}, mkldnn ${r.build.mkldnn}).`);
      console.log('The demo lands with the video pipeline, model and pre-training issues; `cvrl info` works now.');
    });
}
