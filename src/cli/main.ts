/** The `cvrl` command line: one file per command, each a thin face over a library function. */
import { Command, CommanderError } from 'commander';
import { registerInfo } from './info.js';
import { registerDemo } from './demo.js';
import { registerModel } from './model.js';
import { registerExport } from './export.js';
import { registerProbe } from './probe.js';
import { registerSynth } from './synth.js';
import { registerPretrain } from './pretrain.js';
import { registerEmbed } from './embed.js';
import { registerLinearEval } from './linear-eval.js';
import { registerFinetune } from './finetune.js';
import { registerRetrieve } from './retrieve.js';
import { registerReport } from './report.js';
import { registerStudy } from './study.js';
import { registerDetect } from './detect.js';
import { cliMessage } from './flags.js';
import { UsageError } from './parse.js';
import { packageVersion } from '../util/package-root.js';

export function buildProgram(): Command {
  const program = new Command('cvrl')
    .description('Self-supervised video representation learning (CVRL) on libtorch, from TypeScript')
    .version(packageVersion())
    // Subcommands inherit both: parse errors throw instead of exiting, so that run() sets the status.
    .exitOverride()
    .showHelpAfterError();
  registerInfo(program);
  registerModel(program);
  registerExport(program);
  registerProbe(program);
  registerSynth(program);
  registerPretrain(program);
  registerEmbed(program);
  registerLinearEval(program);
  registerFinetune(program);
  registerRetrieve(program);
  registerDemo(program);
  registerReport(program);
  registerStudy(program);
  registerDetect(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  // `cvrl probe ... | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    // Exit statuses: 0 for --help/--version, 2 for a bad command line (as getopt tools do), 1 for a failed run.
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2; // commander has printed the message
      return;
    }
    console.error(`cvrl: ${cliMessage(e)}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
