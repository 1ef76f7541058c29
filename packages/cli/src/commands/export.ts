import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { createReferenceBackend, loadModel, type Model, writeFileAtomic } from '@backprop/core';
import { fillInputs, loadMnist, Rng } from '@backprop/data';
import { type Command, oneModelFile, UsageError } from '../command.js';
import { helpText, integer, parseFlags, text } from '../flags.js';

/** The flags of `backprop export`. */
const FLAGS = {
  out: text({
    section: 'Flags',
    placeholder: 'FILE',
    help: 'the .onnx path',
    defaultText: 'the model path with .json replaced by .onnx',
  }),
  check: integer({ section: 'Flags', help: 'inputs to check on (0 skips the check)', default: 1000, min: 0 }),
} as const;

const HELP = helpText(
  {
    usage: 'backprop export MODEL.json [--out FILE.onnx] [--check N]',
    description: `Write a model file (from 'backprop train') as a self-contained ONNX model (opset 17, the
parameters as float32 initializers) that any ONNX runtime can run: input 'input' (batch × n_0,
features scaled as in training, i.e. pixels / 255), outputs 'output' (a^L, batch × n_L) and
'label' (the argmax, int64).

Then check the file: open it with a fresh ONNX Runtime session, run it on N inputs (the first N
MNIST test images when the network takes 784 inputs and gives 10 outputs, else seeded uniform
inputs in [0, 1]) and compare with the float64 reference forward pass: the largest relative
difference of a^L (float32 rounding, must be < 1e-4) and the predicted labels (must agree
wherever the reference's top two outputs differ by more than 1e-5).
Exit code 0 when the check passes, 1 when it does not.`,
    after: {
      Example: `  backprop train --epochs 1 --out runs/one
  backprop export runs/one/model.json --out runs/one/model.onnx`,
    },
  },
  FLAGS,
);

/** A tensor of onnxruntime-node (the part the check uses). */
export interface OrtTensor {
  readonly data: unknown;
}
/** The parts of onnxruntime-node's API the check uses. */
export interface Ort {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(path: string): Promise<{
      run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
      release(): Promise<void>;
    }>;
  };
}

/**
 * onnxruntime-node, the copy @backprop/gpu depends on (the CLI does not depend on it directly,
 * and @backprop/gpu does not re-export it), so that the check opens the file exactly as a user
 * of the runtime would.
 */
export function onnxRuntime(): Ort {
  const gpu = createRequire(import.meta.url).resolve('@backprop/gpu');
  return createRequire(gpu)('onnxruntime-node') as Ort;
}

/** `model.json` → `model.onnx`; `run.model.json` → `run.onnx`. */
export function defaultOnnxPath(modelPath: string): string {
  const name = basename(modelPath).replace(/(\.model)?\.json$/i, '');
  return join(dirname(modelPath), `${name}.onnx`);
}

/** What the check of an exported file found. */
export interface ExportCheck {
  readonly inputs: string;
  readonly count: number;
  /** max |a^L_onnx − a^L_ref| / max |a^L_ref|. */
  readonly relativeDifference: number;
  readonly labelsAgree: number;
  /** Labels that differ where the reference's margin is above float32 noise. */
  readonly clearDisagreements: number;
  /** Accuracy of the exported model on the inputs, when they are labelled MNIST images. */
  readonly accuracy: number | null;
}

/** Run the `.onnx` file at `path` on `count` inputs and compare with the reference forward pass. */
export async function checkExport(path: string, model: Model, count: number): Promise<ExportCheck> {
  const ort = onnxRuntime();
  const sizes = model.spec.sizes;
  const n0 = sizes[0]!;
  const nL = sizes[sizes.length - 1]!;
  const x = new Float64Array(count * n0);
  let labels: Uint8Array | null = null;
  let inputs: string;
  if (n0 === 784 && nL === 10) {
    const test = loadMnist().test;
    count = Math.min(count, test.count);
    fillInputs(
      test,
      Uint32Array.from({ length: count }, (_, i) => i),
      x,
    );
    labels = test.labels.subarray(0, count);
    inputs = `the first ${count} MNIST test images`;
  } else {
    const rng = new Rng(1);
    for (let i = 0; i < x.length; i++) x[i] = rng.nextFloat();
    inputs = `${count} seeded uniform inputs`;
  }
  const ref = createReferenceBackend(model.spec, model.params);
  const expected = (await ref.forward(x, count)).activations[sizes.length - 1]!;
  // A fresh session with default options, as any ONNX Runtime user would open the file.
  const session = await ort.InferenceSession.create(path);
  let output: Float32Array;
  let predicted: BigInt64Array;
  try {
    const out = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(x.subarray(0, count * n0)), [count, n0]),
    });
    output = out.output!.data as Float32Array;
    predicted = out.label!.data as BigInt64Array;
  } finally {
    await session.release();
  }
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < count * nL; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(output[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  let agree = 0;
  let clear = 0;
  let correct = 0;
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let j = 1; j < nL; j++) if (expected[r * nL + j]! > expected[r * nL + best]!) best = j;
    let second = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < nL; j++) if (j !== best) second = Math.max(second, expected[r * nL + j]!);
    const label = Number(predicted[r]);
    if (label === best) agree++;
    else if (expected[r * nL + best]! - second > 1e-5) clear++;
    if (labels && label === labels[r]) correct++;
  }
  return {
    inputs,
    count,
    relativeDifference: maxDiff / (maxRef || 1),
    labelsAgree: agree,
    clearDisagreements: clear,
    accuracy: labels ? correct / count : null,
  };
}

/** `backprop export`. */
export const command: Command = {
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values: v, positionals } = parseFlags(argv, FLAGS, { positionals: true });
    const modelPath = oneModelFile(
      positionals,
      'give the model file to export, e.g. backprop export runs/one/model.json',
    );
    const out = v.out ?? defaultOnnxPath(modelPath);
    if (!out.endsWith('.onnx')) throw new UsageError(`--out must name a .onnx file, got '${out}'`);
    const { check } = v;
    const model = loadModel(modelPath); // a missing, non-regular or malformed file: bad input, exit 2
    const { exportOnnx } = await import('@backprop/gpu');
    const bytes = exportOnnx(model.spec, model.params);
    writeFileAtomic(out, bytes);
    console.log(
      `wrote ${out}: ${model.spec.sizes.join('-')} ${model.spec.activation}, ${bytes.length.toLocaleString('en-US')} bytes (ONNX opset 17, float32)`,
    );
    if (check === 0) return 0;
    const c = await checkExport(out, model, check);
    const ok = c.relativeDifference < 1e-4 && c.clearDisagreements === 0;
    console.log(
      `check on ${c.inputs} with ONNX Runtime: max relative difference of a^L from the float64 reference ` +
        `${c.relativeDifference.toExponential(2)}, labels agree on ${c.labelsAgree}/${c.count}` +
        (c.accuracy === null ? '' : `, accuracy ${(100 * c.accuracy).toFixed(2)}%`) +
        (ok ? ' — ok' : ` — FAILED (${c.clearDisagreements} clear disagreements)`),
    );
    return ok ? 0 : 1;
  },
};
