/**
 * Library errors name the caller's options (`withHead`, `labelFraction`), not command-line flags.
 * `options` lists the words of the message that are option names, so that the CLI can show its own
 * flags instead (src/cli/flags.ts); the error keeps its class.
 */
export type OptionError<E extends Error = Error> = E & { options: readonly string[] };

/** Marks `err` as naming `options`; write the message so that these words mean only the options. */
export function namingOptions<E extends Error>(err: E, ...options: string[]): OptionError<E> {
  return Object.assign(err, { options });
}

/** The option names an error was marked with, if any. */
export function optionsNamed(e: unknown): readonly string[] {
  const o = (e as { options?: unknown } | null)?.options;
  return Array.isArray(o) && o.every((s) => typeof s === 'string') ? o : [];
}
