import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake in how the command was called: printed with the usage, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command of the `backprop` CLI. */
export interface Command {
  /** One line for `backprop --help`. */
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for bad flags. */
  run(argv: string[]): Promise<number>;
}

/** The `options` of node's parseArgs. */
export type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseFlags returns for the options `O`. */
export type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>
>;

/** Parse flags strictly: an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  allowPositionals = false,
): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals }) as Parsed<O>;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** A number flag: must parse completely and be finite. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

/** A positive-number flag (η, say). */
export function positiveFlag(name: string, value: string | undefined, fallback: number): number {
  const n = numberFlag(name, value, fallback);
  if (!(n > 0)) throw new UsageError(`--${name} must be greater than 0, got ${value}`);
  return n;
}

/** An integer flag with a lower bound. */
export function integerFlag(name: string, value: string | undefined, fallback: number, min = 1): number {
  const n = numberFlag(name, value, fallback);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

/** A flag whose value is one of a fixed set. */
export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got '${value}'`);
  return value as T;
}
