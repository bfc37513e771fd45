/** Library option names to this CLI's flags: camelCase keys become --kebab-case, as commander does. */
import { optionsNamed } from '../util/option-error.js';

export function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}

// Options that the CLI takes as positional arguments rather than flags.
const POSITIONAL: Record<string, string> = { runDirs: 'RUNDIR' };

export function flagOf(option: string): string {
  return POSITIONAL[option] ?? `--${kebab(option)}`;
}

/** An error's message with the options it names (see util/option-error.ts) spelled as flags. */
export function cliMessage(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  for (const o of optionsNamed(e)) msg = msg.replace(new RegExp(`\\b${o}\\b`, 'g'), flagOf(o));
  return msg;
}
