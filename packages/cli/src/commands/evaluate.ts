import { createReferenceBackend, type Evaluation, evaluate, loadModel } from '@backprop/core';
import { type Command, InputError, oneModelFile, UsageError } from '../command.js';
import { DATA_FLAGS, loadFlaggedData, splitFlag } from '../datasets.js';
import { helpText, parseFlags, toggle } from '../flags.js';
import { formatConfusion } from './train/output.js';

/** The flags of `backprop evaluate`. */
const FLAGS = {
  split: splitFlag('test', 'the set to evaluate on'),
  ...DATA_FLAGS,
  json: toggle({
    section: 'Output',
    help: 'print one JSON object: the set, accuracy, correct, count, cost, the confusion matrix and accuracy per class',
  }),
} as const;

const HELP = helpText(
  {
    usage: 'backprop evaluate MODEL.json [--split test|validation|train] [--data-dir DIR] [--json]',
    description: `How a trained model does on a data set: its accuracy (the share of examples whose largest output
is the label), its mean cost (the model's own cost function), the confusion matrix (rows: true
class, columns: predicted) and the accuracy per class. The float64 reference forward pass
computes it, whatever backend trained the model. The sets are cut as 'backprop train' cuts them
(--train-count, --validation-count), so --split validation is the run's own validation set.`,
    after: {
      Examples: `  backprop evaluate runs/one/model.json
  backprop evaluate runs/one/model.json --split validation
  backprop evaluate runs/fashion/model.json --data-dir ~/data/fashion-mnist --json`,
    },
  },
  FLAGS,
);

/** Accuracy of each class: correct over examples of it (NaN for a class with none). */
export function classAccuracy(e: Evaluation): number[] {
  return e.confusion.map((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n > 0 ? row[i]! / n : Number.NaN;
  });
}

/** `backprop evaluate`. */
export const command: Command = {
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values: v, positionals } = parseFlags(argv, FLAGS, { positionals: true });
    const modelPath = oneModelFile(
      positionals,
      'give the model file, e.g. backprop evaluate runs/one/model.json',
    );
    const model = loadModel(modelPath);
    const data = loadFlaggedData(v);
    const set = data.splits[v.split];
    const sizes = model.spec.sizes;
    if (set.inputSize !== sizes[0] || set.classes !== sizes[sizes.length - 1])
      throw new InputError(
        `${modelPath} is a ${sizes.join('-')} network, but ${set.name} has ${set.inputSize} inputs and ${set.classes} classes`,
      );
    if (set.count === 0) throw new UsageError(`the ${v.split} set is empty (--validation-count 0?)`);
    const e = await evaluate(createReferenceBackend(model.spec, model.params), set);
    const perClass = classAccuracy(e);
    if (v.json) {
      console.log(
        JSON.stringify({
          model: modelPath,
          data: data.source,
          split: v.split,
          count: e.count,
          correct: e.correct,
          accuracy: e.accuracy,
          cost: e.cost,
          costFunction: model.spec.cost,
          confusion: e.confusion,
          classAccuracy: perClass,
        }),
      );
      return 0;
    }
    console.log(
      [
        `${modelPath}: ${sizes.join('-')} ${model.spec.activation}, ${model.spec.cost} cost`,
        `${v.split} set: ${e.count} examples of ${data.source}`,
        `accuracy ${(100 * e.accuracy).toFixed(2)}% (${e.correct}/${e.count}), cost ${e.cost.toFixed(4)}`,
        'confusion matrix (rows: true class, columns: predicted)',
        formatConfusion(e.confusion),
        `accuracy per class: ${perClass.map((a, i) => `${i} ${Number.isNaN(a) ? '—' : `${(100 * a).toFixed(1)}%`}`).join(', ')}`,
      ].join('\n'),
    );
    return 0;
  },
};
