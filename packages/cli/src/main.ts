import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { exitStatusLines } from './flags.js';
import { type Program, runProgram } from './program.js';

const load = (m: Promise<{ command: Command }>) => m.then((x) => x.command);

/** The CLI's version, from its package.json (or "unknown" where it is bundled without one). */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return pkg.name === '@backprop/cli' ? String(pkg.version) : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The `backprop` program: each command lives in its own module, loaded only when called; the
 * summaries are here so that `backprop --help` loads none of them.
 */
export const BACKPROP: Program = {
  name: 'backprop',
  title: 'backprop — the 3Blue1Brown network, checkable',
  noun: 'command',
  version: version(),
  commands: {
    train: {
      summary: 'train a network by backpropagation and SGD (default: the document’s 784-16-16-10 on MNIST)',
      load: () => load(import('./commands/train/index.js')),
    },
    predict: {
      summary: 'the digit a trained model sees in an image (a PNG of your own, or an IDX image)',
      load: () => load(import('./commands/predict.js')),
    },
    evaluate: {
      summary: 'accuracy, cost and confusion matrix of a trained model on a data set',
      load: () => load(import('./commands/evaluate.js')),
    },
    conformance: {
      summary: 'check backends clause by clause against the formulas (docs/spec.md)',
      load: () => load(import('./commands/conformance.js')),
    },
    compare: {
      summary: 'overlay the curves of run files; table of accuracy, speed and divergence; SVG/PNG/HTML chart',
      load: () => load(import('./commands/compare.js')),
    },
    weights: {
      summary: "draw each first-layer neuron's weights as a 28×28 tile (or a deeper layer as a heat map)",
      load: () => load(import('./commands/weights.js')),
    },
    export: {
      summary: 'write a trained model file as an .onnx model and check it on ONNX Runtime',
      load: () => load(import('./commands/export.js')),
    },
    data: {
      summary: 'describe the data (info) or draw one example in the terminal (show)',
      load: () => load(import('./commands/data.js')),
    },
    doctor: {
      summary: 'ONNX Runtime version, binding path, provider libraries; probe cpu/webgpu/cuda for real',
      load: () => load(import('./commands/doctor.js')),
    },
    serve: {
      summary: 'serve the web app: train in the page, draw a digit, run the suite in the browser',
      load: () => load(import('./commands/serve.js')),
    },
    experiment: {
      summary:
        "where the experiments reproducing docs/experiments.md are: 'pnpm experiment NAME' in a checkout",
      load: () => load(import('./commands/experiment.js')),
    },
  },
  footer: ['', 'Exit status (every command):', ...exitStatusLines()],
};

/** Run the CLI with `argv` (without node and script); resolves to the process exit code. */
export function main(argv: string[]): Promise<number> {
  return runProgram(BACKPROP, argv);
}
