import type { Command } from '../../command.js';
import { helpText } from '../../flags.js';
import { TRAIN_FLAGS } from './flags.js';
import { run } from './run.js';

export { parseTrainFlags, TRAIN_FLAGS, type TrainConfig } from './flags.js';
export { formatConfusion } from './output.js';

const HELP = helpText(
  {
    usage: 'backprop train [flags]',
    description: `Train a fully-connected network by backpropagation and mini-batch SGD. With no flags it trains
the document's network, 784-16-16-10 with sigmoid neurons and the quadratic cost, on MNIST
(bundled), with Nielsen's settings: η = 3.0, mini-batches of 10, N(0,1) initial weights,
50,000 training and 10,000 validation images, 30 epochs, seed 1.

Each epoch shows a progress bar (steps, time left, running cost; on a terminal only) and then
one line: validation accuracy and cost, seconds. At the end: test accuracy and the confusion
matrix. Writes a run file (JSON: config, environment, backend, curves, final metrics; the input
of 'backprop compare') and a model file (JSON: spec, parameters, provenance).`,
    after: {
      Examples: `  backprop train
  backprop train --layers 784,30,10 --epochs 15
  backprop train --layers 784,100,10 --cost cross-entropy --init scaled-normal --eta 0.5
  backprop train --backend onnx-cpu --epochs 3 --out runs/onnx-cpu.json
  backprop train --checkpoint-every 1000 --out runs/long     # Ctrl-C, then:
  backprop train --resume runs/long`,
    },
  },
  TRAIN_FLAGS,
);

/** `backprop train`. */
export const command: Command = {
  summary: 'train a network by backpropagation and SGD (default: the document’s 784-16-16-10 on MNIST)',
  help: HELP,
  flags: TRAIN_FLAGS,
  run,
};
