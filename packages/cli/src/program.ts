import { paint } from './colour.js';
import type { Command } from './command.js';
import { InputError, UsageError } from './command.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, isBadInput } from './exit-codes.js';
import { installInterrupts } from './interrupt.js';
import { didYouMean } from './suggest.js';

/**
 * A program of subcommands — `backprop`, or the repository's `pnpm experiment` — and how it
 * runs one: `--help` anywhere (or `help CMD`) prints the subcommand's help, `--version` the
 * version; a {@link UsageError} prints its message and where help is, bad input its message
 * (both exit code 2), any other error its message (exit code 1, the work failed), never a stack
 * trace (unless BACKPROP_DEBUG is set); a mistyped subcommand gets a "did you mean".
 */

/** A subcommand as a program lists it: its summary, known without loading it, and how to load it. */
export interface CommandEntry {
  /** One line for the overview. */
  readonly summary: string;
  /** Loads the command's module (only when it is run, or its help is asked for). */
  readonly load: () => Promise<Command>;
}

/** A program of subcommands. */
export interface Program {
  /** How the user calls it, e.g. "backprop". */
  readonly name: string;
  /** The first line of its overview. */
  readonly title: string;
  /** What its subcommands are called, e.g. "command" or "experiment". */
  readonly noun: string;
  /** What `--version` prints after the name. */
  readonly version?: string;
  /** Its subcommands by name, each loaded only when called. */
  readonly commands: Readonly<Record<string, CommandEntry>>;
  /** Lines after the list of subcommands in the overview (flags they share, examples). */
  readonly footer?: readonly string[];
}

const capital = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;

/** The overview: the title, the usage, every subcommand with its summary, the footer. Loads no command. */
export function overview(program: Program): string {
  const { name, noun } = program;
  const lines = [program.title, '', `Usage: ${name} <${noun}> [flags]`, '', `${capital(noun)}s:`];
  const width = Math.max(13, ...Object.keys(program.commands).map((n) => n.length + 2));
  for (const [cmd, entry] of Object.entries(program.commands))
    lines.push(`  ${cmd.padEnd(width)}${entry.summary}`);
  lines.push(
    ...(program.footer ?? []),
    '',
    `Run '${name} <${noun}> --help' or '${name} help <${noun}>' for its flags${program.version ? `; '${name} --version' for the version` : ''}.`,
  );
  return lines.join('\n');
}

/** Run `command` as `prefix` (e.g. "backprop train"); resolves to the exit code. */
export async function runCommand(prefix: string, command: Command, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(argv);
  } catch (e) {
    const red = paint(process.stderr).red;
    if (e instanceof UsageError) {
      console.error(`${red(`${prefix}:`)} ${e.message}\nTry '${prefix} --help'.`);
      return EXIT_BAD_INPUT;
    }
    if (isBadInput(e)) {
      console.error(`${red(`${prefix}:`)} ${(e as Error).message}`);
      return EXIT_BAD_INPUT;
    }
    // The work failed (a backend that cannot run, a write that failed): said under the command's name.
    console.error(`${red(`${prefix}:`)} ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.BACKPROP_DEBUG) console.error(e);
    return EXIT_FAILED;
  }
}

/** The subcommand `name` of `program`, or a {@link UsageError} with the closest name. */
function entryOf(program: Program, name: string): CommandEntry {
  const entry = Object.hasOwn(program.commands, name) ? program.commands[name] : undefined;
  if (entry) return entry;
  const names = Object.keys(program.commands);
  throw new UsageError(
    `unknown ${program.noun} '${name}'.${didYouMean(name, names)} ${capital(program.noun)}s: ${names.join(', ')}.`,
  );
}

/** Run `program` with `argv` (without node and script); resolves to the process exit code. */
export async function runProgram(program: Program, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    console.log(`${program.name} ${program.version ?? 'unknown'}`);
    return EXIT_OK;
  }
  try {
    if (name === 'help' && rest[0] !== undefined) {
      console.log((await entryOf(program, rest[0]).load()).help);
      return EXIT_OK;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      console.log(overview(program));
      return name === undefined ? EXIT_BAD_INPUT : EXIT_OK;
    }
    if (name.startsWith('-'))
      throw new UsageError(
        `'${name}' before the ${program.noun}: give the ${program.noun} first, e.g. ${program.name} ${Object.keys(program.commands)[0]} ${name}.`,
      );
    const entry = entryOf(program, name);
    return await runCommand(`${program.name} ${name}`, await entry.load(), rest);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e;
    console.error(
      `${paint(process.stderr).red(`${program.name}:`)} ${e.message} Try '${program.name} --help'.`,
    );
    return EXIT_BAD_INPUT;
  }
}

/**
 * The body of a program's bin: SIGINT and SIGTERM handled (see interrupt.ts), run `main`, then
 * exit with its code. An error escaping it is printed as `name: message` (errors we raise name
 * the problem and the fix), its stack only with BACKPROP_DEBUG set, and exits 1.
 */
export function runBin(name: string, main: () => Promise<number>): void {
  installInterrupts();
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`${paint(process.stderr).red(`${name}:`)} ${e instanceof Error ? e.message : String(e)}`);
      if (process.env.BACKPROP_DEBUG) console.error(e);
      process.exitCode = EXIT_FAILED;
    },
  );
}
