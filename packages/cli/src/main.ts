import { type Command, UsageError } from './args.js';

/** Each command lives in its own module, loaded only when called. */
const commands: Record<string, () => Promise<{ command: Command }>> = {
  train: () => import('./commands/train.js'),
  conformance: () => import('./commands/conformance.js'),
  compare: () => import('./commands/compare.js'),
  doctor: () => import('./commands/doctor.js'),
  export: () => import('./commands/export.js'),
  weights: () => import('./commands/weights.js'),
  experiment: () => import('./commands/experiment.js'),
  data: () => import('./commands/data.js'),
  serve: () => import('./commands/serve.js'),
};

async function overview(): Promise<string> {
  const lines = [
    'backprop — the 3Blue1Brown network, checkable',
    '',
    'Usage: backprop <command> [flags]',
    '',
    'Commands:',
  ];
  for (const [name, load] of Object.entries(commands))
    lines.push(`  ${name.padEnd(13)}${(await load()).command.summary}`);
  lines.push('', "Run 'backprop <command> --help' for a command's flags.");
  return lines.join('\n');
}

/** Run the CLI with `argv` (without node and script); resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await overview());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(
      `backprop: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}. Try 'backprop --help'.`,
    );
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`backprop ${name}: ${e.message}\nTry 'backprop ${name} --help'.`);
      return 2;
    }
    throw e;
  }
}
