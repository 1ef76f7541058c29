import type { FlagTable } from './flags.js';

/** A mistake in how the command was called: printed with the usage, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Input that cannot be used, found before any work started: a file that is not what it should
 * be, an output location that cannot be written, a run that would not fit in memory. Printed
 * without the usage hint, exit code 2, no stack trace.
 */
export class InputError extends Error {
  override name = 'InputError';
}

/** A command of the `backprop` CLI. */
export interface Command {
  /** Full `--help` text (generated from {@link flags} by `helpText`). */
  readonly help: string;
  /** Every flag the command takes: what `--help` lists and what parsing accepts. */
  readonly flags: FlagTable;
  /** Runs the command; resolves to the exit code. Throws UsageError for bad flags. */
  run(argv: string[]): Promise<number>;
}

/**
 * The one model file a command takes as its argument (`evaluate`, `export`): a usage error
 * saying `missing` when none is given, and naming them when more than one is.
 */
export function oneModelFile(positionals: readonly string[], missing: string): string {
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? missing
        : `give one model file, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  return positionals[0]!;
}
