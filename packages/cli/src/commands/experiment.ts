import { type Command, integerFlag, parseFlags, UsageError } from '../args.js';
import { backendNames } from '../experiments/backends.js';
import { EXPERIMENTS, experimentOptions } from '../experiments/index.js';
import { writeExperiment } from '../experiments/output.js';
import { progressPrinter, silentProgress } from '../experiments/progress.js';

const DEFAULT_OUT = 'runs/experiments';

function helpText(): string {
  const lines = [
    "backprop experiment NAME [flags]: the document's claims as measurements",
    '',
    `Each experiment writes OUT_DIR/NAME.json (the result, with the command that made it),`,
    'NAME.svg and NAME.png (the chart), prints a table, and shows progress on stderr.',
    '',
    'Common flags:',
    `  --out-dir DIR     where the files go (default ${DEFAULT_OUT})`,
    '  --seed N          seeds initialisation, shuffles and random draws (default 1)',
    '  --backend NAME    backend that trains and evaluates: reference (default), onnx-cpu, onnx-webgpu, onnx-cuda',
    '  --data-dir DIR    MNIST-format IDX files to use instead of the bundled MNIST',
    '  --quiet           no progress output',
    '',
    'Experiments:',
  ];
  for (const def of EXPERIMENTS) {
    lines.push(`  ${def.name.padEnd(15)}${def.summary}`);
    for (const f of def.flags) lines.push(`      --${f.name.padEnd(18)}${f.help}`);
  }
  lines.push(
    '',
    'Examples:',
    '  backprop experiment noise --epochs 3',
    '  backprop experiment batch-size --sizes 10,32,128 --epochs 1 --train-count 10000',
    '  backprop experiment linear --out-dir /tmp/exp',
  );
  return lines.join('\n');
}

export const command: Command = {
  summary:
    "run one of the document's claims as an experiment: noise, random-labels, batch-size, activation, linear",
  help: helpText(),
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === undefined || name.startsWith('-'))
      throw new UsageError(
        `${name === undefined ? 'name an experiment' : `'${name}' comes before the experiment's name; name one first`}: ${EXPERIMENTS.map((e) => e.name).join(', ')}`,
      );
    const def = EXPERIMENTS.find((e) => e.name === name);
    if (!def)
      throw new UsageError(
        `unknown experiment '${name}'; the experiments are ${EXPERIMENTS.map((e) => e.name).join(', ')}`,
      );
    const { values, positionals } = parseFlags(rest, experimentOptions(def), true);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const backend = (values.backend as string | undefined) ?? 'reference';
    const names = await backendNames();
    if (!names.includes(backend))
      throw new UsageError(`--backend must be one of ${names.join(', ')}; got '${backend}'`);
    const progress = values.quiet ? silentProgress : progressPrinter();
    const common = {
      seed: integerFlag('seed', values.seed as string | undefined, 1, 0),
      backend,
      dataDir: values['data-dir'] as string | undefined,
      progress,
    };
    let out: Awaited<ReturnType<typeof def.run>>;
    try {
      out = await def.run(values, common);
    } finally {
      progress.end();
    }
    const outDir = (values['out-dir'] as string | undefined) ?? DEFAULT_OUT;
    const result = { command: ['backprop', 'experiment', ...argv].join(' '), ...out.result };
    const files = await writeExperiment(outDir, def.name, result, out.chart, out.extra ?? {});
    console.log(out.table.join('\n'));
    console.log(
      `\n${def.name}: ${out.result.seconds.toFixed(1)} s on ${out.result.backend.name} (${out.result.backend.device})`,
    );
    console.log(`wrote ${[files.json, files.svg, files.png, ...files.extra].join(', ')}`);
    return 0;
  },
};
