import type { ClauseExpectation } from '@backprop/core';
import {
  type Backend,
  type BackpropTrace,
  type Batch,
  type Capability,
  checkParamShapes,
  type Dtype,
  type EpochOptions,
  type EpochResult,
  epochStart,
  type ForwardTrace,
  genericTrainEpoch,
  type NetworkSpec,
  type Params,
  type SgdOptions,
  stepsPerEpoch,
  stepsToPause,
  validateSgd,
  validateSpec,
} from '@backprop/core';
import { type DataSet, fillInputs, fillTargets } from '@backprop/data';
import { EngineError, EngineProcess, type EngineProcessOptions, parseCommand } from './engine-process.js';
import { EXTENSIONS, type Extension, type Hello, type Op } from './messages.js';
import { decodeArray, decodeParams, decodeScalar, encodeArray, encodeParams, ProtocolError } from './wire.js';

/**
 * Conformance clauses that an engine with its own epoch loop (`train-epoch`) but without the
 * `train-epoch-range` extension cannot pass, whatever it does: its `train_epoch` is one request
 * for the whole epoch, so the host ({@link ProtocolBackend}'s `trainEpoch`) can neither start it
 * at `startStep` nor stop it where `pauseEvery` asks for `betweenSteps` (it refuses such an
 * epoch with an error). `engineEntry` in `@backprop/conformance` gives these expectations to such
 * engines; an engine that announces `train-epoch-range` (torch, the NumPy example) has none.
 */
export const PROTOCOL_EPOCH_EXPECTATIONS: Readonly<Record<string, ClauseExpectation>> = Object.freeze({
  'sgd.on-steps': {
    status: 'xfail',
    reason:
      'protocol v1 without the train-epoch-range extension: train_epoch runs the whole epoch in one request and returns every step cost in its one reply, with no steps field to stop after, so the host cannot call betweenSteps where pauseEvery asks',
  },
  'sgd.resume': {
    status: 'xfail',
    reason:
      'protocol v1 without the train-epoch-range extension: the train_epoch request has no start_step field, so the host cannot resume an epoch at startStep',
  },
});

/** Options of a {@link StdioEngine}. */
export interface StdioEngineOptions extends EngineProcessOptions {
  /** The backend name reported to the suite; default: the engine's own name from its handshake. */
  readonly name?: string;
  /**
   * The protocol extensions the host may use, of those the engine announces (default: all this
   * host knows, `EXTENSIONS`); `[]` talks plain version 1 to any engine (for comparisons,
   * or to work around an engine's faulty extension).
   */
  readonly extensions?: readonly Extension[];
}

/** Whether an engine starts here (the shape of the conformance registry's `Availability`). */
export type EngineAvailability =
  | {
      readonly available: true;
      readonly device: string;
      readonly capabilities: readonly Capability[];
      /** The engine's name and version from its handshake, e.g. "torch 1.13.0 (NumPy 1.24.2, Python 3.11.2)". */
      readonly version: string;
    }
  | { readonly available: false; readonly reason: string };

/**
 * An outside engine reached over the protocol: a command line (`python3 my_net.py`) started on
 * demand, one process shared by every network it holds. Networks are {@link ProtocolBackend}s;
 * the process exits when the last one is disposed, and is started again (with a fresh handshake)
 * when a network is created or given parameters after it stopped.
 */
export class StdioEngine {
  /** The command, split into words. */
  readonly argv: readonly string[];
  private current: Promise<EngineProcess> | undefined;
  private nets = 0;
  private nextNet = 1;
  private first: Hello | undefined;
  /** The data set each process holds (`load_data`), at most one: loading another drops it. */
  private readonly loaded = new WeakMap<EngineProcess, { readonly data: DataSet; readonly id: number }>();
  private nextData = 1;

  constructor(
    command: string | readonly string[],
    readonly options: StdioEngineOptions = {},
  ) {
    this.argv = typeof command === 'string' ? parseCommand(command) : [...command];
    if (this.argv.length === 0) throw new SyntaxError('the engine command is empty');
  }

  /** The running process, started (and its handshake checked) if there is none or it stopped. */
  async process(): Promise<EngineProcess> {
    const cur = this.current && (await this.current.catch(() => undefined));
    if (cur && !cur.stoppedReason) return cur;
    const next = EngineProcess.start(this.argv, this.options).then((p) => {
      const h = p.hello;
      if (this.first && (h.dtype !== this.first.dtype || h.engine.name !== this.first.engine.name)) {
        p.stop(
          `restarted as ${h.engine.name} (${h.dtype}) instead of ${this.first.engine.name} (${this.first.dtype})`,
        );
        throw new EngineError(`${p.label}: ${p.stoppedReason}`, 'hello', 1, p.stderrTail());
      }
      this.first ??= h;
      return p;
    });
    this.current = next;
    return next;
  }

  /** Start the engine (if it is not running) and return its handshake. Rejects with why it cannot start. */
  async start(): Promise<Hello> {
    return (await this.process()).hello;
  }

  /** The handshake's answer, once the engine has started. */
  get hello(): Hello | undefined {
    return this.first;
  }

  /** The name reported to the suite. */
  get name(): string {
    return this.options.name ?? this.first?.engine.name ?? this.argv.join(' ');
  }

  /** Start the engine for real and say whether it runs, with its device, capabilities and version, or why not (one line and its stderr). */
  async probe(): Promise<EngineAvailability> {
    try {
      const h = await this.start();
      return {
        available: true,
        device: h.device ?? 'stdio',
        capabilities: h.capabilities,
        version: `${h.engine.name} ${h.engine.version}`,
      };
    } catch (e) {
      return { available: false, reason: (e as Error).message };
    }
  }

  /** A network on this engine, holding `params`. */
  async create(spec: NetworkSpec, params: Params): Promise<ProtocolBackend> {
    validateSpec(spec);
    checkParamShapes(spec, params);
    const b = new ProtocolBackend(this, spec);
    await b.setParams(params); // creates it on the engine
    return b;
  }

  /**
   * @internal The id under which process `p` holds `data` (extension `load-data`): sent once per
   * process (a data set is known by identity; its contents never change), the one held before
   * dropped first so that an engine holds one training set at a time.
   */
  async dataId(p: EngineProcess, data: DataSet, wire: () => Record<string, unknown>): Promise<number> {
    const held = this.loaded.get(p);
    if (held?.data === data) return held.id;
    if (held) {
      this.loaded.delete(p);
      await p.request('drop_data', { data: held.id });
    }
    const id = this.nextData++;
    await p.request('load_data', { data: id, ...wire() });
    this.loaded.set(p, { data, id });
    return id;
  }

  /** @internal A net id for a new network, and one more user of the process. */
  attach(): number {
    this.nets++;
    return this.nextNet++;
  }

  /** @internal One user fewer; the last one closes the process. */
  async detach(): Promise<void> {
    this.nets--;
    if (this.nets === 0) await this.close();
  }

  /** Shut the process down now (networks on it then fail until given parameters again). */
  async close(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    const p = cur && (await cur.catch(() => undefined));
    await p?.close();
  }
}

const shapeOf = (rows: number, cols: number) => [rows, cols];

const sameIndices = (a: Uint32Array, b: Uint32Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * A network held by an outside engine, as a {@link Backend}: each call is one request, its reply
 * checked against the network's shapes before anything is returned. What the engine lacks
 * (its capabilities) is missing from traces (empty arrays) and refused by methods with the reason.
 */
export class ProtocolBackend implements Backend {
  readonly spec: NetworkSpec;
  private proc: EngineProcess | undefined;
  private net = 0;
  private disposed = false;

  /** @internal Use {@link StdioEngine.create}. */
  constructor(
    private readonly engine: StdioEngine,
    spec: NetworkSpec,
  ) {
    this.spec = Object.freeze({
      sizes: Object.freeze([...spec.sizes]),
      activation: spec.activation,
      cost: spec.cost,
    });
  }

  get name(): string {
    return this.engine.name;
  }
  get dtype(): Dtype {
    return this.hello.dtype;
  }
  get device(): string {
    return this.hello.device ?? 'stdio';
  }
  get capabilities(): readonly Capability[] {
    return this.hello.capabilities;
  }
  private get hello(): Hello {
    const h = this.engine.hello;
    if (!h) throw new Error(`${this.engine.name} has not started`);
    return h;
  }

  private has(c: Capability): boolean {
    return this.hello.capabilities.includes(c);
  }

  private lacks(c: Capability, what: string): Error {
    return new Error(`${this.name} does not provide ${what}: its handshake lists no '${c}' capability`);
  }

  private live(op: Op): EngineProcess {
    if (this.disposed) throw new Error(`${this.name}: ${op} on a disposed backend`);
    const p = this.proc;
    if (!p) throw new Error(`${this.name}: ${op} before the network was created`);
    return p;
  }

  /** One request on this network; a reply that breaks the protocol (`read` throws a ProtocolError) stops the engine and fails the request. */
  private call<T>(
    op: Op,
    args: Record<string, unknown>,
    read: (r: Record<string, unknown>) => T,
  ): Promise<T> {
    return this.live(op).request(op, { net: this.net, ...args }, read);
  }

  private batchArgs(x: Float64Array, size: number, y?: Float64Array): Record<string, unknown> {
    const { sizes } = this.spec;
    const n0 = sizes[0]!;
    const nL = sizes[sizes.length - 1]!;
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`batch size must be a positive integer, got ${size}`);
    if (x.length < size * n0)
      throw new RangeError(`x holds ${x.length} values, fewer than ${size} rows of ${n0}`);
    if (y && y.length < size * nL)
      throw new RangeError(`y holds ${y.length} values, fewer than ${size} rows of ${nL}`);
    return {
      x: encodeArray(x.subarray(0, size * n0), shapeOf(size, n0)),
      ...(y ? { y: encodeArray(y.subarray(0, size * nL), shapeOf(size, nL)) } : {}),
    };
  }

  /** zs (L of them) and activations (a⁰ … a^L) from a reply, checked against the batch's shapes. */
  private traces(r: Record<string, unknown>, m: number): ForwardTrace {
    const { sizes } = this.spec;
    const L = sizes.length - 1;
    const list = (key: string, n: number) => {
      const v = r[key];
      if (!Array.isArray(v) || v.length !== n)
        throw new ProtocolError(
          `${key} ${Array.isArray(v) ? `has ${v.length} entries` : 'is missing'}; expected ${n}`,
        );
      return v;
    };
    return {
      zs: list('zs', L).map((z, i) => decodeArray(z, `zs[${i}] (z${i + 1})`, shapeOf(m, sizes[i + 1]!))),
      activations: list('activations', L + 1).map((a, i) =>
        decodeArray(a, `activations[${i}] (a${i})`, shapeOf(m, sizes[i]!)),
      ),
    };
  }

  async setParams(params: Params): Promise<void> {
    checkParamShapes(this.spec, params);
    if (this.disposed) throw new Error(`${this.name}: set_params on a disposed backend`);
    const wire = encodeParams(this.spec.sizes, params);
    if (this.proc && !this.proc.stoppedReason) {
      await this.call('set_params', { params: wire }, () => undefined);
      return;
    }
    // No network yet, or its engine stopped: (re)start the engine and create the network there.
    const p = await this.engine.process();
    const h = p.hello;
    if (h.activations && !h.activations.includes(this.spec.activation))
      throw new Error(
        `${this.name} implements the activations ${h.activations.join(', ')}, not ${this.spec.activation}`,
      );
    if (h.costs && !h.costs.includes(this.spec.cost))
      throw new Error(`${this.name} implements the costs ${h.costs.join(', ')}, not ${this.spec.cost}`);
    if (!this.proc) this.net = this.engine.attach();
    this.proc = p;
    const spec = { sizes: [...this.spec.sizes], activation: this.spec.activation, cost: this.spec.cost };
    await this.call('create', { spec, params: wire }, () => undefined);
  }

  async getParams(): Promise<Params> {
    return this.call('get_params', {}, (r) => decodeParams(r.params, 'params', this.spec.sizes));
  }

  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    if (!this.has('forward')) throw this.lacks('forward', 'the forward traces z^l and a^l');
    return this.call('forward', this.batchArgs(x, size), (r) => this.traces(r, size));
  }

  async backprop(batch: Batch): Promise<BackpropTrace> {
    const m = batch.size;
    return this.call('backprop', this.batchArgs(batch.x, m, batch.y), (r) => {
      const { sizes } = this.spec;
      const t: ForwardTrace = this.has('forward') ? this.traces(r, m) : { zs: [], activations: [] };
      let deltas: Float64Array[] = [];
      if (this.has('deltas')) {
        const d = r.deltas;
        if (!Array.isArray(d) || d.length !== sizes.length - 1)
          throw new ProtocolError(
            `deltas ${Array.isArray(d) ? `has ${d.length} entries` : 'is missing'}; expected ${sizes.length - 1}`,
          );
        deltas = d.map((v, i) => decodeArray(v, `deltas[${i}] (δ${i + 1})`, shapeOf(m, sizes[i + 1]!)));
      }
      const gradients = this.has('gradients')
        ? decodeParams(r.gradients, 'gradients', sizes)
        : { weights: [], biases: [] };
      const cost = this.has('gradients') ? decodeScalar(r.cost, 'cost') : Number.NaN;
      return { ...t, cost, deltas, gradients };
    });
  }

  async step(batch: Batch, sgd: SgdOptions): Promise<number> {
    validateSgd(sgd);
    if (!this.has('step')) throw this.lacks('step', 'an SGD step');
    const momentum = sgd.momentum ?? 0;
    const weightDecay = sgd.weightDecay ?? 0;
    if (momentum !== 0 && !this.has('momentum')) throw this.lacks('momentum', 'SGD with momentum');
    if (weightDecay !== 0 && !this.has('weight-decay'))
      throw this.lacks('weight-decay', 'SGD with weight decay');
    return this.call(
      'step',
      { ...this.batchArgs(batch.x, batch.size, batch.y), eta: sgd.eta, momentum, weight_decay: weightDecay },
      (r) => decodeScalar(r.cost, 'cost'),
    );
  }

  /** Whether the engine announced extension `e` and the host may use it. */
  private announces(e: Extension): boolean {
    return this.hello.extensions.includes(e) && (this.engine.options.extensions ?? EXTENSIONS).includes(e);
  }

  /**
   * One epoch: the engine's own loop when it has `train-epoch` (its shuffle, its steps), else the
   * shared loop of @backprop/core over its `step`. With the `train-epoch-range` extension the
   * epoch runs as segments of consecutive steps, from `startStep`, each ending where
   * `pauseEvery` asks for `betweenSteps` (awaited; if it throws, the epoch stops there); every
   * segment draws the same seeded shuffle, so the steps are those of an uninterrupted epoch.
   * Without the extension the engine runs whole epochs only: an epoch from step 0 with no pause
   * inside runs as one request, then `onSteps` and `betweenSteps`; anything else (`startStep` >
   * 0, a pause inside the epoch) is refused with the reason, not run on the shared loop over
   * `step`, which would visit other mini-batches than the engine's own shuffle. With `load-data` the training set crosses the pipe once per
   * engine process, not with every request.
   */
  async trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    if (!this.has('train-epoch')) return genericTrainEpoch(this, data, options);
    const { sizes } = this.spec;
    const n0 = sizes[0]!;
    const nL = sizes[sizes.length - 1]!;
    if (data.inputSize !== n0 || data.classes !== nL)
      throw new RangeError(
        `${data.name} is ${data.inputSize} → ${data.classes}; the network is ${n0} → ${nL}`,
      );
    const B = options.batchSize;
    if (!(Number.isInteger(B) && B >= 1 && B <= data.count))
      throw new RangeError(`batch size must be an integer in 1…${data.count} (the examples), got ${B}`);
    const lastBatch = options.lastBatch ?? 'keep';
    const total = stepsPerEpoch(data.count, options.batchSize, lastBatch);
    const first = epochStart(options, total);
    const momentum = options.momentum ?? 0;
    const weightDecay = options.weightDecay ?? 0;
    validateSgd({ eta: options.eta, momentum, weightDecay });
    if (momentum !== 0 && !this.has('momentum')) throw this.lacks('momentum', 'SGD with momentum');
    if (weightDecay !== 0 && !this.has('weight-decay'))
      throw this.lacks('weight-decay', 'SGD with weight decay');
    const ranged = this.announces('train-epoch-range');
    if (!ranged && (first > 0 || stepsToPause(options, 0) < total))
      throw new Error(
        `${this.name} runs whole epochs only (its handshake announces no 'train-epoch-range' extension), so it cannot ${
          first > 0
            ? `resume an epoch at step ${first}`
            : `pause after step ${stepsToPause(options, 0)} of an epoch of ${total} (pauseEvery ${options.pauseEvery})`
        }: checkpoints and resuming need an engine whose train_epoch runs part of an epoch (start_step, steps; docs/protocol.md, Extensions)`,
      );
    const wire = () => {
      const all = Uint32Array.from({ length: data.count }, (_, i) => i);
      const x = new Float64Array(data.count * n0);
      const y = new Float64Array(data.count * nL);
      fillInputs(data, all, x);
      fillTargets(data, all, y);
      return { x: encodeArray(x, [data.count, n0]), y: encodeArray(y, [data.count, nL]) };
    };
    const set = this.announces('load-data')
      ? { data: await this.engine.dataId(this.live('load_data'), data, wire) }
      : wire();
    const args = {
      ...set,
      batch_size: options.batchSize,
      seed: options.seed,
      eta: options.eta,
      momentum,
      weight_decay: weightDecay,
      last_batch: lastBatch,
    };
    /** Steps `from`…`from + k − 1` of the epoch: the engine's shuffle (all of it) and their costs. */
    const run = (from: number, k: number) =>
      this.call('train_epoch', ranged ? { ...args, start_step: from, steps: k } : args, (r) => {
        const b = r.batches;
        if (!Array.isArray(b)) throw new ProtocolError('batches is not a list of lists of example indices');
        if (b.length !== total)
          throw new ProtocolError(
            `batches has ${b.length} mini-batches; an epoch of ${data.count} examples in batches of ${options.batchSize} (${lastBatch}) has ${total}`,
          );
        const batches = b.map((B, i) => {
          if (!Array.isArray(B) || !B.every((k) => Number.isInteger(k) && k >= 0 && k < data.count))
            throw new ProtocolError(
              `batches[${i}] is not a list of example indices (integers in 0…${data.count - 1})`,
            );
          return Uint32Array.from(B as number[]);
        });
        return { batches, costs: decodeArray(r.costs, 'costs', [k]) };
      });
    if (!ranged) {
      const result = await run(0, total);
      options.onSteps?.(0, result.costs);
      const pause = options.betweenSteps?.(total);
      if (pause) await pause;
      return result;
    }
    const costs = new Float64Array(total - first);
    let batches: Uint32Array[] | undefined;
    let done = first;
    do {
      const k = Math.min(total - done, stepsToPause(options, done));
      const part = await run(done, k);
      if (batches === undefined) batches = part.batches;
      else if (!part.batches.every((B, i) => sameIndices(B, batches![i]!)))
        throw new Error(
          `${this.name} drew another shuffle for the steps from ${done} of this epoch (seed ${options.seed}) than for the steps before: its train_epoch must draw the same mini-batches for the same seed every time`,
        );
      if (k === 0) break; // resumed at the epoch's end: its batches, no step
      costs.set(part.costs, done - first);
      options.onSteps?.(done, costs.subarray(done - first, done - first + k));
      done += k;
      const pause = options.betweenSteps?.(done);
      if (pause) await pause;
    } while (done < total);
    return { batches, costs };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.proc) return;
    if (!this.proc.stoppedReason) await this.proc.request('dispose', { net: this.net }).catch(() => {});
    await this.engine.detach();
  }
}
