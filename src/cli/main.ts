/** The `cvrl` command line: one file per command, each a thin face over a library function. */
import { Command } from 'commander';
import { registerInfo } from './info.js';
import { registerDemo } from './demo.js';
import { registerModel } from './model.js';
import { registerExport } from './export.js';

export function buildProgram(): Command {
  const program = new Command('cvrl')
    .description('Self-supervised video representation learning (CVRL) on libtorch, from TypeScript')
    .version('0.1.0')
    .showHelpAfterError();
  registerInfo(program);
  registerModel(program);
  registerExport(program);
  registerDemo(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    console.error(`cvrl: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
