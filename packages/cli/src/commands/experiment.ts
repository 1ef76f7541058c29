import { type Command, UsageError } from '../command.js';
import { helpText } from '../flags.js';

/**
 * `backprop experiment`: a pointer. The experiments reproduce docs/experiments.md; they are
 * research code, kept in the repository's private package `@backprop/experiments` and run from a
 * checkout with `pnpm experiment NAME`, not shipped with the published CLI.
 */
const HELP = helpText(
  {
    usage: 'backprop experiment NAME [flags]: the document’s claims as measurements (from a checkout)',
    description: `The experiments (noise, random-labels, batch-size, activation, linear) reproduce the results
of docs/experiments.md. They are research code and live in the repository, not in the published
CLI: from a checkout of backprop, after 'npx -y pnpm@12.4.2 install' and 'npx -y pnpm@12.4.2 build',
run them with

  pnpm experiment NAME [flags]        (pnpm experiment --help lists them and their flags)

Exit code 2: there is nothing to run here.`,
  },
  {},
);

/** `backprop experiment`, which says where the experiments are. */
export const command: Command = {
  summary: "where the experiments reproducing docs/experiments.md are: 'pnpm experiment NAME' in a checkout",
  help: HELP,
  flags: {},
  async run(argv) {
    const given = argv.length > 0 ? ` ${argv.join(' ')}` : ' NAME';
    throw new UsageError(
      `the experiments are not part of the published CLI; from a checkout of the repository run: pnpm experiment${given} (see docs/experiments.md)`,
    );
  },
};
