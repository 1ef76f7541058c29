import type { Command } from './command.js';
import { type Program, runProgram } from './program.js';

const load = (m: Promise<{ command: Command }>) => m.then((x) => x.command);

/** The `backprop` program: each command lives in its own module, loaded only when called. */
export const BACKPROP: Program = {
  name: 'backprop',
  title: 'backprop — the 3Blue1Brown network, checkable',
  noun: 'command',
  commands: {
    train: () => load(import('./commands/train/index.js')),
    conformance: () => load(import('./commands/conformance.js')),
    compare: () => load(import('./commands/compare.js')),
    doctor: () => load(import('./commands/doctor.js')),
    export: () => load(import('./commands/export.js')),
    weights: () => load(import('./commands/weights.js')),
    experiment: () => load(import('./commands/experiment.js')),
    data: () => load(import('./commands/data.js')),
    serve: () => load(import('./commands/serve.js')),
  },
};

/** Run the CLI with `argv` (without node and script); resolves to the process exit code. */
export function main(argv: string[]): Promise<number> {
  return runProgram(BACKPROP, argv);
}
