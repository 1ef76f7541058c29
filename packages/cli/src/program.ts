import type { Command } from './command.js';
import { UsageError } from './command.js';

/**
 * A program of subcommands — `backprop`, or the repository's `pnpm experiment` — and how it
 * runs one: `--help` anywhere prints the subcommand's help, a {@link UsageError} prints its
 * message and where help is (exit code 2), never a stack trace.
 */
export interface Program {
  /** How the user calls it, e.g. "backprop". */
  readonly name: string;
  /** The first line of its overview. */
  readonly title: string;
  /** What its subcommands are called, e.g. "command" or "experiment". */
  readonly noun: string;
  /** Its subcommands by name, each loaded only when called. */
  readonly commands: Readonly<Record<string, () => Promise<Command>>>;
  /** Lines after the list of subcommands in the overview (flags they share, examples). */
  readonly footer?: readonly string[];
}

/** The overview: the title, the usage, every subcommand with its summary, the footer. */
export async function overview(program: Program): Promise<string> {
  const { name, noun } = program;
  const lines = [
    program.title,
    '',
    `Usage: ${name} <${noun}> [flags]`,
    '',
    `${noun[0]!.toUpperCase()}${noun.slice(1)}s:`,
  ];
  const width = Math.max(13, ...Object.keys(program.commands).map((n) => n.length + 2));
  for (const [cmd, load] of Object.entries(program.commands))
    lines.push(`  ${cmd.padEnd(width)}${(await load()).summary}`);
  lines.push(...(program.footer ?? []), '', `Run '${name} <${noun}> --help' for its flags.`);
  return lines.join('\n');
}

/** Run `command` as `prefix` (e.g. "backprop train"); resolves to the exit code. */
export async function runCommand(prefix: string, command: Command, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${prefix}: ${e.message}\nTry '${prefix} --help'.`);
      return 2;
    }
    throw e;
  }
}

/** Run `program` with `argv` (without node and script); resolves to the process exit code. */
export async function runProgram(program: Program, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await overview(program));
    return name === undefined ? 2 : 0;
  }
  const load = program.commands[name];
  if (!load) {
    console.error(
      `${program.name}: unknown ${program.noun} '${name}'. ${program.noun[0]!.toUpperCase()}${program.noun.slice(1)}s: ${Object.keys(program.commands).join(', ')}. Try '${program.name} --help'.`,
    );
    return 2;
  }
  return runCommand(`${program.name} ${name}`, await load(), rest);
}

/**
 * The body of a program's bin: run `main`, then exit with its code. An error escaping it is
 * printed as `name: message` (errors we raise name the problem and the fix), its stack only
 * with BACKPROP_DEBUG set, and exits 1.
 */
export function runBin(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      if (process.env.BACKPROP_DEBUG) console.error(e);
      process.exitCode = 1;
    },
  );
}
