import { CheckpointError, ModelFileError, RunFileError } from '@backprop/core';
import { DigitImageError, IdxError, InputFileError } from '@backprop/data';
import { InputError, UsageError } from './command.js';

/**
 * The one exit-code table every command follows: `--help` and the README print it from here,
 * and {@link exitCodeOf} applies it to whatever a command throws.
 */

/** Success. */
export const EXIT_OK = 0;
/** The work failed: a clause failed, training diverged, a check did not pass, a file could not be written. */
export const EXIT_FAILED = 1;
/** Usage or bad input: a flag, an argument or an input file that cannot be used; found before any work. */
export const EXIT_BAD_INPUT = 2;
/** Stopped by SIGINT (Ctrl-C), as a shell reports it (128 + 2). */
export const EXIT_SIGINT = 130;
/** Stopped by SIGTERM (128 + 15). */
export const EXIT_SIGTERM = 143;

/** The table as `--help` prints it: one line per code. */
export const EXIT_TABLE: readonly (readonly [code: string, meaning: string])[] = [
  ['0', 'success'],
  [
    '1',
    'the work failed: a conformance clause failed, training diverged (or learned nothing, with --fail-on-stall), a check did not pass, a file could not be written',
  ],
  [
    '2',
    'usage or bad input: a flag, an argument or an input file (data, model, run, checkpoint, image) that cannot be used, or an output that cannot be written; found before any work',
  ],
  [
    '130',
    'stopped by SIGINT (Ctrl-C); 143: by SIGTERM. An interrupted train writes a checkpoint first; serve, whose way to stop is Ctrl-C, ends with 0',
  ],
];

/** The errors that mean "bad input" (exit code 2) rather than "the work failed" (1). */
const BAD_INPUT = [
  UsageError,
  InputError,
  InputFileError,
  IdxError,
  ModelFileError,
  RunFileError,
  CheckpointError,
  DigitImageError,
] as const;

/** Whether `e` is a usage error or bad input: exit code 2 (see {@link EXIT_TABLE}). */
export function isBadInput(e: unknown): boolean {
  return BAD_INPUT.some((kind) => e instanceof kind);
}

/** The exit code of a command that threw `e`: 2 for usage errors and bad input, else 1. */
export function exitCodeOf(e: unknown): number {
  return isBadInput(e) ? EXIT_BAD_INPUT : EXIT_FAILED;
}

/** The exit code of a process stopped by `signal`. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
}
