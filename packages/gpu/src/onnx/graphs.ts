import type { NetworkSpec, Params } from '@backprop/core';
import { GraphBuilder } from './builder.js';
import {
  backpropNodes,
  declareParams,
  depth,
  forwardNodes,
  type ParamNames,
  paramInputNames,
  type SgdFeatures,
  type SgdInputs,
  sgdNodes,
} from './network.js';

/**
 * The graphs built from a network spec. Every graph takes the parameters as inputs
 * (W1, b1, W2, b2, ...) except the exported inference graph, which stores them.
 */

/** Graph output names of the parameters after a step: W1.next, b1.next, ... */
export function nextParamNames(spec: NetworkSpec): ParamNames {
  return paramInputNames(spec, '.next');
}
/** Velocity inputs (momentum): vW1, vb1, ... */
export function velocityNames(spec: NetworkSpec, suffix = ''): ParamNames {
  const p = paramInputNames(spec, suffix);
  return { weights: p.weights.map((n) => `v${n}`), biases: p.biases.map((n) => `v${n}`) };
}

function outputParams(g: GraphBuilder, spec: NetworkSpec, values: ParamNames, names: ParamNames): void {
  for (let l = 1; l <= depth(spec); l++) {
    g.output(names.weights[l - 1]!, values.weights[l - 1]!, 'float32', [spec.sizes[l]!, spec.sizes[l - 1]!]);
    g.output(names.biases[l - 1]!, values.biases[l - 1]!, 'float32', [spec.sizes[l]!]);
  }
}

function declareSgd(
  g: GraphBuilder,
  spec: NetworkSpec,
  f: SgdFeatures,
): { h: SgdInputs; velocity?: ParamNames } {
  const eta = g.input('eta', 'float32', []);
  const lambda = f.weightDecay ? g.input('lambda', 'float32', []) : undefined;
  const mu = f.momentum ? g.input('mu', 'float32', []) : undefined;
  let velocity: ParamNames | undefined;
  if (f.momentum) {
    velocity = velocityNames(spec);
    for (let l = 1; l <= depth(spec); l++) {
      g.input(velocity.weights[l - 1]!, 'float32', [spec.sizes[l]!, spec.sizes[l - 1]!]);
      g.input(velocity.biases[l - 1]!, 'float32', [spec.sizes[l]!]);
    }
  }
  return { h: { eta, lambda, mu }, velocity };
}

/** Forward pass: x (batch × n_0) → z1..zL, a1..aL. */
export function forwardGraph(spec: NetworkSpec): GraphBuilder {
  const g = new GraphBuilder('forward');
  const x = g.input('x', 'float32', ['batch', spec.sizes[0]!]);
  const p = declareParams(g, spec);
  const f = forwardNodes(g, spec, x, p);
  for (let l = 1; l <= depth(spec); l++) {
    g.output(`z${l}`, f.zs[l - 1]!, 'float32', ['batch', spec.sizes[l]!]);
    g.output(`a${l}`, f.as[l]!, 'float32', ['batch', spec.sizes[l]!]);
  }
  return g;
}

/**
 * Debug train step for conformance: x, y (one-hot), inv_m = 1/m → every z^l, a^l, δ^l,
 * ∂C/∂W^l (gW1..), ∂C/∂b^l (gb1..) and the cost. Parameters are not changed.
 */
export function debugGraph(spec: NetworkSpec): GraphBuilder {
  const g = new GraphBuilder('backprop_debug');
  const L = depth(spec);
  const x = g.input('x', 'float32', ['batch', spec.sizes[0]!]);
  const y = g.input('y', 'float32', ['batch', spec.sizes[L]!]);
  const invM = g.input('inv_m', 'float32', []);
  const p = declareParams(g, spec);
  const bp = backpropNodes(g, spec, x, y, invM, p);
  for (let l = 1; l <= L; l++) {
    const n = spec.sizes[l]!;
    g.output(`z${l}`, bp.zs[l - 1]!, 'float32', ['batch', n]);
    g.output(`a${l}`, bp.as[l]!, 'float32', ['batch', n]);
    g.output(`delta${l}`, bp.deltas[l - 1]!, 'float32', ['batch', n]);
    g.output(`gW${l}`, bp.gradW[l - 1]!, 'float32', [n, spec.sizes[l - 1]!]);
    g.output(`gb${l}`, bp.gradB[l - 1]!, 'float32', [n]);
  }
  g.output('cost', bp.cost, 'float32', [1, 1]);
  return g;
}

/**
 * One SGD step on a batch given as inputs (the "naive" path: one `session.run` per
 * mini-batch): x, y, inv_m, eta[, lambda][, mu], params[, velocities] → params.next
 * [, velocities.next], cost (of the batch before the step, shape [1, 1]).
 */
export function stepGraph(spec: NetworkSpec, features: SgdFeatures): GraphBuilder {
  const g = new GraphBuilder('train_step');
  const L = depth(spec);
  const x = g.input('x', 'float32', ['batch', spec.sizes[0]!]);
  const y = g.input('y', 'float32', ['batch', spec.sizes[L]!]);
  const invM = g.input('inv_m', 'float32', []);
  const { h, velocity } = declareSgd(g, spec, features);
  const p = declareParams(g, spec);
  const bp = backpropNodes(g, spec, x, y, invM, p);
  const next = sgdNodes(g, spec, p, bp, h, velocity);
  outputParams(g, spec, next.params, nextParamNames(spec));
  if (next.velocity) outputParams(g, spec, next.velocity, velocityNames(spec, '.next'));
  g.output('cost', bp.cost, 'float32', [1, 1]);
  return g;
}

/**
 * `steps` SGD steps unrolled in one graph (the "fast" path). The data set is an input that
 * stays where it is (`data_x`: N × n_0 float32, `data_y`: N × n_L one-hot) and `order`
 * (steps × batch, int32) holds the example indices of each step's mini-batch; step k gathers
 * its rows, so the only per-run upload is the indices. Unrolled rather than an ONNX `Loop`
 * because the WebGPU provider has no Loop kernel and fallback to the CPU is forbidden.
 * Outputs: params.next[, velocities.next] and `costs` (steps × 1, each batch's cost before its step).
 */
export function stepsGraph(spec: NetworkSpec, features: SgdFeatures, steps: number): GraphBuilder {
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new RangeError(`steps per run must be a positive integer, got ${steps}`);
  const g = new GraphBuilder(`train_${steps}_steps`);
  const L = depth(spec);
  const dataX = g.input('data_x', 'float32', ['examples', spec.sizes[0]!]);
  const dataY = g.input('data_y', 'float32', ['examples', spec.sizes[L]!]);
  const order = g.input('order', 'int32', [steps, 'batch']);
  const invM = g.input('inv_m', 'float32', []);
  const { h, velocity } = declareSgd(g, spec, features);
  let p: ParamNames = declareParams(g, spec);
  let v = velocity;
  const costs: string[] = [];
  for (let k = 0; k < steps; k++) {
    const tag = `@${k}`;
    // sgd.epoch: step k's mini-batch is row k of the epoch's permutation.
    const rows = g.op('Gather', [order, g.constant('k', 'int64', [], [k])], `sgd.epoch/batch${tag}`, {
      axis: 0,
    });
    const x = g.op('Gather', [dataX, rows], `sgd.epoch/x${tag}`, { axis: 0 });
    const y = g.op('Gather', [dataY, rows], `sgd.epoch/y${tag}`, { axis: 0 });
    const bp = backpropNodes(g, spec, x, y, invM, p, tag);
    const next = sgdNodes(g, spec, p, bp, h, v, tag);
    p = next.params;
    v = next.velocity;
    costs.push(bp.cost);
  }
  outputParams(g, spec, p, nextParamNames(spec));
  if (v) outputParams(g, spec, v, velocityNames(spec, '.next'));
  g.output('costs', concatRows(g, costs, 'cost.mean/per_step'), 'float32', [steps, 1]);
  return g;
}

/**
 * The most inputs one Concat takes here. onnxruntime-web's WebGPU Concat binds every input and
 * its output as storage buffers, and WebGPU's default limit is 8 per shader stage: with 8 inputs
 * its pipeline failed validation and `costs` came back as garbage (4e-45), silently.
 * @internal the graphs' own plumbing
 */
export const CONCAT_FAN_IN = 7;

/** `values` stacked along axis 0, in order, by a tree of Concats of at most {@link CONCAT_FAN_IN} inputs. */
function concatRows(g: GraphBuilder, values: readonly string[], name: string): string {
  let level = [...values];
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += CONCAT_FAN_IN) {
      const group = level.slice(i, i + CONCAT_FAN_IN);
      next.push(group.length === 1 ? group[0]! : g.op('Concat', group, name, { axis: 0 }));
    }
    level = next;
  }
  return level[0]!;
}

/**
 * A copy of the parameters: reads device-resident parameters back into CPU tensors.
 * @internal the backend's device plumbing
 */
export function readbackGraph(spec: NetworkSpec, withVelocity = false): GraphBuilder {
  const g = new GraphBuilder('read_params');
  const groups = [paramInputNames(spec), ...(withVelocity ? [velocityNames(spec)] : [])];
  for (const names of groups)
    for (let l = 1; l <= depth(spec); l++) {
      const w = g.input(names.weights[l - 1]!, 'float32', [spec.sizes[l]!, spec.sizes[l - 1]!]);
      const b = g.input(names.biases[l - 1]!, 'float32', [spec.sizes[l]!]);
      g.output(`${w}.out`, w, 'float32', [spec.sizes[l]!, spec.sizes[l - 1]!]);
      g.output(`${b}.out`, b, 'float32', [spec.sizes[l]!]);
    }
  return g;
}

/**
 * A copy of a float32 matrix: uploads a data set once and leaves it on the device.
 * @internal the backend's device plumbing
 */
export function uploadGraph(columns: number): GraphBuilder {
  const g = new GraphBuilder('upload');
  const x = g.input('host', 'float32', ['rows', columns]);
  g.output('device', x, 'float32', ['rows', columns]);
  return g;
}

/**
 * The inference model for export: parameters stored as initializers; input `input`
 * (batch × n_0, pixel values already scaled to [0, 1]) → `output` (a^L, batch × n_L) and
 * `label` (argmax, int64).
 */
export function inferenceGraph(spec: NetworkSpec, params: Params): GraphBuilder {
  const g = new GraphBuilder('mlp');
  const L = depth(spec);
  const x = g.input('input', 'float32', ['batch', spec.sizes[0]!]);
  const weights: string[] = [];
  const biases: string[] = [];
  for (let l = 1; l <= L; l++) {
    weights.push(
      g.constant(`W${l}`, 'float32', [spec.sizes[l]!, spec.sizes[l - 1]!], params.weights[l - 1]!),
    );
    biases.push(g.constant(`b${l}`, 'float32', [spec.sizes[l]!], params.biases[l - 1]!));
  }
  const f = forwardNodes(g, spec, x, { weights, biases });
  g.output('output', f.as[L]!, 'float32', ['batch', spec.sizes[L]!]);
  g.output('label', g.op('ArgMax', [f.as[L]!], 'predict/argmax', { axis: 1, keepdims: 0 }), 'int64', [
    'batch',
  ]);
  return g;
}
