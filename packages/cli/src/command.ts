import type { FlagTable } from './flags.js';

/** A mistake in how the command was called: printed with the usage, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command of the `backprop` CLI. */
export interface Command {
  /** One line for `backprop --help`. */
  readonly summary: string;
  /** Full `--help` text (generated from {@link flags} by `helpText`). */
  readonly help: string;
  /** Every flag the command takes: what `--help` lists and what parsing accepts. */
  readonly flags: FlagTable;
  /** Runs the command; resolves to the exit code. Throws UsageError for bad flags. */
  run(argv: string[]): Promise<number>;
}
