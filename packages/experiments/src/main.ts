import { flagLines, type Program, runProgram } from '@backprop/cli/kit';
import { COMMON_FLAGS, EXPERIMENTS, experimentCommand, PROGRAM } from './definitions.js';

/** `pnpm experiment`: one command per experiment, and the flags they all take. */
export const EXPERIMENT_PROGRAM: Program = {
  name: PROGRAM,
  title: "the document's claims as measurements (docs/experiments.md); research code, run from a checkout",
  noun: 'experiment',
  commands: Object.fromEntries(EXPERIMENTS.map((def) => [def.name, async () => experimentCommand(def)])),
  footer: [
    '',
    'Every experiment writes OUT_DIR/NAME.json (the result, with the command that made it), NAME.svg',
    'and NAME.png (the chart), prints a table, and shows progress on stderr. Flags they all take:',
    ...flagLines(COMMON_FLAGS),
    '',
    'Examples:',
    `  ${PROGRAM} noise --epochs 3`,
    `  ${PROGRAM} batch-size --sizes 10,32,128 --epochs 1 --train-count 10000`,
    `  ${PROGRAM} linear --out-dir /tmp/exp`,
  ],
};

/** Run `pnpm experiment` with `argv` (without node and script); resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runProgram(EXPERIMENT_PROGRAM, argv);
}
