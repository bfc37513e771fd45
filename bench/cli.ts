// `cvrl` from the sources (no build needed): node --import tsx bench/cli.ts pretrain ...
import { run } from '../src/cli/main.js';

await run(process.argv);
