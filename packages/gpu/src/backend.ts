import {
  type Backend,
  type BackendOptions,
  type BackpropTrace,
  type Batch,
  batchOf,
  type EpochOptions,
  type EpochResult,
  epochStart,
  type ForwardTrace,
  type NetworkSpec,
  type Params,
  type SgdOptions,
  stepsToPause,
  type VelocityAccess,
} from '@backprop/core';
import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import onnxProto from 'onnx-proto';
import type * as ort from 'onnxruntime-common';
import { decodeModel } from './onnx/builder.js';
import {
  debugGraph,
  forwardGraph,
  nextParamNames,
  readbackGraph,
  stepGraph,
  stepsGraph,
  uploadGraph,
  velocityNames,
} from './onnx/graphs.js';
import { depth, type ParamNames, paramInputNames, type SgdFeatures } from './onnx/network.js';
import { type OnnxRuntime, type Provider, runtimeLabel, type SessionOptions } from './ort.js';

/**
 * How training runs:
 * - `naive`: one `session.run` per mini-batch, inputs and parameters as CPU tensors (the
 *   baseline the performance work measures against);
 * - `fast`: many unrolled steps per `session.run` over a data set that stays resident; on
 *   WebGPU the parameters stay on the GPU between steps and come back only when asked.
 */
export type TrainMode = NonNullable<BackendOptions['mode']>;

/** Options of an ONNX backend: core's {@link BackendOptions} (what the registry entries take) and the feed. */
export interface OnnxBackendOptions extends BackendOptions {
  /** `fast` (default) or `naive`, see {@link TrainMode}. */
  readonly mode?: TrainMode;
  /** SGD steps unrolled into one graph in `fast` mode (default 32). */
  readonly stepsPerRun?: number;
  /**
   * How fast mode gets the examples: `resident` keeps the whole data set as one input (on the
   * GPU for WebGPU, shared memory for the CPU); `per-run` sends only each run's rows (CUDA, where
   * a resident CPU tensor would be copied to the GPU on every run). Default: `per-run` on CUDA.
   */
  readonly feed?: 'resident' | 'per-run';
  /**
   * ONNX Runtime's intra-op threads for the CPU kernels (`intraOpNumThreads`); default: ONNX
   * Runtime's choice, one per core. The matrices here are tiny (16 columns), so on a few shared
   * cores one thread is often faster: the pool's threads spin and wait for each other on every
   * operator (docs/performance.md).
   */
  readonly intraOpThreads?: number;
}

type Feeds = Record<string, ort.Tensor>;
type Session = ort.InferenceSession;

/**
 * Sessions shared by every backend in the process. A graph's nodes depend only on the depth,
 * the activation, the cost and the SGD features, never on the layer sizes, which appear only in
 * the declared shapes of its inputs and outputs; with those left unknown one session serves
 * every network of the same structure. The conformance suite meets hundreds of shapes, and
 * creating a session (10–100 ms) was nearly all of its time. Keyed by the provider, the session
 * options and the model. When the last backend using one is disposed it is kept among the
 * {@link IDLE_SESSIONS} most recently idle, and released when it falls out of those.
 */
const shared = new Map<
  string,
  { readonly model: Uint8Array; readonly session: Promise<Session>; users: number }
>();
/** Sessions no backend uses, oldest first, kept for the next backend of their structure. */
const idle = new Map<string, Promise<Session>>();
/** How many unused sessions are kept. */
const IDLE_SESSIONS = 64;

/** The model with the sizes of its inputs and outputs unknown (ONNX allows a dimension with neither value nor name). */
function withoutSizes(model: Uint8Array): Uint8Array {
  const m = decodeModel(model);
  for (const v of [...(m.graph?.input ?? []), ...(m.graph?.output ?? [])])
    for (const d of v.type?.tensorType?.shape?.dim ?? [])
      if (Object.hasOwn(d, 'dimValue')) delete (d as { dimValue?: unknown }).dimValue;
  return onnxProto.onnx.ModelProto.encode(m).finish();
}

/**
 * A 64-bit FNV-1a digest of a model, as the key of {@link shared} (`node:crypto` is not used:
 * this module runs in the browser too); the bytes are compared as well on a hit.
 */
function digest(bytes: Uint8Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < bytes.length; i++) {
    h1 = Math.imul(h1 ^ bytes[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ bytes[i]!, 0x811c9dc5) ^ (h1 >>> 7);
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}-${bytes.length}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toF64(t: ort.Tensor): Float64Array {
  return Float64Array.from(t.data as Float32Array);
}

function onDevice(t: ort.Tensor): boolean {
  return t.location === 'gpu-buffer';
}

/** The resident copy of a data set: features scaled to float32 and one-hot targets. */
interface ResidentData {
  readonly x: ort.Tensor;
  readonly y: ort.Tensor;
}

/**
 * The network on ONNX Runtime in float32: forward, backprop and SGD as ONNX graphs built from
 * the spec (see `onnx/graphs.ts`), run on one execution provider of the runtime it is given
 * (onnxruntime-node or onnxruntime-web: {@link OnnxRuntime}) with CPU fallback forbidden for GPU
 * providers. Parameters live in ORT tensors between steps. It hands over its momentum velocity
 * ({@link VelocityAccess}), so runs with momentum can be checkpointed and resumed.
 */
export class OnnxBackend implements Backend, VelocityAccess {
  readonly dtype = 'float32' as const;
  readonly device: string;
  readonly mode: TrainMode;
  readonly stepsPerRun: number;
  readonly feed: 'resident' | 'per-run';
  readonly intraOpThreads: number | undefined;
  private readonly L: number;
  private readonly inNames: ParamNames;
  private readonly outNames: ParamNames;
  private params: Feeds = {};
  private velocity: Feeds | undefined;
  private readonly sessions = new Map<string, Promise<Session>>();
  /** The {@link shared} sessions this backend uses (released on dispose when no other uses them). */
  private readonly sessionIds: string[] = [];
  private readonly resident = new WeakMap<DataSet, ResidentData>();
  private readonly residentTensors: ort.Tensor[] = [];

  /** A float32 tensor of the runtime (each runtime accepts only tensors of its own `Tensor` class). */
  private readonly f32: (data: Float32Array, dims: readonly number[]) => ort.Tensor;
  private readonly scalar: (v: number) => ort.Tensor;

  private constructor(
    readonly runtime: OnnxRuntime,
    readonly name: string,
    readonly provider: Provider,
    readonly spec: NetworkSpec,
    options: OnnxBackendOptions,
  ) {
    if (!runtime.providers.includes(provider))
      throw new RangeError(
        `${name}: ${runtimeLabel(runtime)} has no ${provider} execution provider (it has ${runtime.providers.join(', ')})`,
      );
    const { Tensor } = runtime.ort;
    this.f32 = (data, dims) => new Tensor('float32', data, dims);
    this.scalar = (v) => new Tensor('float32', Float32Array.of(v), []);
    this.device = provider;
    this.mode = options.mode ?? 'fast';
    if (this.mode !== 'fast' && this.mode !== 'naive')
      throw new RangeError(`mode must be 'fast' or 'naive', got '${String(this.mode)}'`);
    this.stepsPerRun = options.stepsPerRun ?? 32;
    this.feed = options.feed ?? (provider === 'cuda' ? 'per-run' : 'resident');
    if (!(Number.isInteger(this.stepsPerRun) && this.stepsPerRun >= 1))
      throw new RangeError(`stepsPerRun must be a positive integer, got ${this.stepsPerRun}`);
    this.intraOpThreads = options.intraOpThreads;
    if (
      this.intraOpThreads !== undefined &&
      !(Number.isInteger(this.intraOpThreads) && this.intraOpThreads >= 1)
    )
      throw new RangeError(`intraOpThreads must be a positive integer, got ${this.intraOpThreads}`);
    this.L = depth(spec);
    this.inNames = paramInputNames(spec);
    this.outNames = nextParamNames(spec);
  }

  /**
   * A backend on `provider` of `runtime` (e.g. `ortNode` from `@backprop/gpu`, `ortWeb` from
   * `@backprop/gpu/web`) holding `params`; fails (with ORT's reason) when the provider cannot start.
   */
  static async create(
    runtime: OnnxRuntime,
    name: string,
    provider: Provider,
    spec: NetworkSpec,
    params: Params,
    options: OnnxBackendOptions = {},
  ): Promise<OnnxBackend> {
    const b = new OnnxBackend(runtime, name, provider, spec, options);
    await b.session('forward'); // start the provider now, so that an unavailable one fails here
    await b.setParams(params);
    return b;
  }

  /** Parameters stay on the device only for WebGPU in fast mode (the only provider here with device tensors). */
  private get keepOnDevice(): boolean {
    return this.provider === 'webgpu' && this.mode === 'fast';
  }

  /** The session for a graph, created once. `key` names the graph and its variant. */
  private session(key: string): Promise<Session> {
    let s = this.sessions.get(key);
    if (s) return s;
    // key = kind[:arg][+mom][+wd], e.g. "steps:32+mom"
    const [kind, arg] = key.replace(/\+.*$/, '').split(':');
    const features: SgdFeatures = { momentum: key.includes('+mom'), weightDecay: key.includes('+wd') };
    let model: Uint8Array;
    let extra: Partial<SessionOptions> = {};
    const deviceParams = (withVelocity: boolean): Record<string, ort.Tensor.DataLocation> => {
      const loc: Record<string, ort.Tensor.DataLocation> = {};
      for (const n of [...this.outNames.weights, ...this.outNames.biases]) loc[n] = 'gpu-buffer';
      if (withVelocity) {
        const v = velocityNames(this.spec, '.next');
        for (const n of [...v.weights, ...v.biases]) loc[n] = 'gpu-buffer';
      }
      return loc;
    };
    switch (kind) {
      case 'forward':
        model = forwardGraph(this.spec).encode();
        break;
      case 'debug':
        model = debugGraph(this.spec).encode();
        break;
      case 'step':
        model = stepGraph(this.spec, features).encode();
        // Costs and other small outputs stay on the CPU (a scalar left on the GPU aborted the process).
        if (this.keepOnDevice)
          extra = { preferredOutputLocation: { ...deviceParams(features.momentum), cost: 'cpu' } };
        break;
      case 'steps':
        model = stepsGraph(this.spec, features, Number(arg)).encode();
        if (this.keepOnDevice)
          extra = { preferredOutputLocation: { ...deviceParams(features.momentum), costs: 'cpu' } };
        break;
      case 'read':
        model = readbackGraph(this.spec, key.includes('+mom')).encode();
        break;
      case 'upload':
        model = uploadGraph(Number(arg)).encode();
        extra = { preferredOutputLocation: 'gpu-buffer' };
        break;
      default:
        throw new Error(`unknown graph '${key}'`);
    }
    if (this.intraOpThreads !== undefined) extra = { ...extra, intraOpNumThreads: this.intraOpThreads };
    const general = withoutSizes(model);
    let id = `${runtimeLabel(this.runtime)} ${this.provider} ${JSON.stringify(extra)} ${digest(general)}`;
    let entry = shared.get(id);
    // A digest shared by different bytes (never seen, but possible) gets a key of its own.
    while (entry && !sameBytes(entry.model, general)) entry = shared.get((id += '+'));
    idle.delete(id);
    if (!entry) {
      const session = this.runtime.createSession(general, this.provider, extra, key);
      entry = { model: general, session, users: 0 };
      shared.set(id, entry);
      session.catch(() => shared.delete(id));
    }
    entry.users++;
    s = entry.session;
    this.sessions.set(key, s);
    this.sessionIds.push(id);
    return s;
  }

  private paramFeeds(): Feeds {
    return this.params;
  }

  async setParams(params: Params): Promise<void> {
    if (params.weights.length !== this.L || params.biases.length !== this.L)
      throw new RangeError(
        `${this.name}: expected ${this.L} weight matrices and bias vectors for sizes ${this.spec.sizes.join('-')}`,
      );
    const next: Feeds = {};
    for (let l = 1; l <= this.L; l++) {
      const n = this.spec.sizes[l]!;
      const m = this.spec.sizes[l - 1]!;
      if (params.weights[l - 1]!.length !== n * m || params.biases[l - 1]!.length !== n)
        throw new RangeError(`${this.name}: W${l} must be ${n}×${m} and b${l} length ${n}`);
      next[this.inNames.weights[l - 1]!] = this.f32(Float32Array.from(params.weights[l - 1]!), [n, m]);
      next[this.inNames.biases[l - 1]!] = this.f32(Float32Array.from(params.biases[l - 1]!), [n]);
    }
    this.replaceParams(next);
    this.disposeFeeds(this.velocity);
    this.velocity = undefined; // new parameters start with zero momentum
  }

  private replaceParams(next: Feeds): void {
    this.disposeFeeds(this.params);
    this.params = next;
  }

  private disposeFeeds(feeds: Feeds | undefined): void {
    if (feeds) for (const t of Object.values(feeds)) if (onDevice(t)) t.dispose();
  }

  async getParams(): Promise<Params> {
    let src = this.params;
    if (Object.values(src).some(onDevice)) {
      // Read device tensors back through a copy graph with CPU outputs (getData() on a
      // gpu-buffer tensor aborted the process with onnxruntime-node 1.29).
      const out = await (await this.session('read')).run(src);
      src = {};
      for (const [k, v] of Object.entries(out)) src[k.replace(/\.out$/, '')] = v;
    }
    return {
      weights: this.inNames.weights.map((n) => toF64(src[n]!)),
      biases: this.inNames.biases.map((n) => toF64(src[n]!)),
    };
  }

  /** A copy of the momentum velocity v as float64 (null before the first step with momentum); for checkpoints. */
  async getVelocity(): Promise<Params | null> {
    if (!this.velocity) return null;
    let src = this.velocity;
    if (Object.values(src).some(onDevice)) {
      // Device tensors come back through the copy graph, as the parameters do.
      const out = await (await this.session('read+mom')).run({ ...this.params, ...this.velocity });
      src = {};
      for (const [k, v] of Object.entries(out)) src[k.replace(/\.out$/, '')] = v;
    }
    const v = velocityNames(this.spec);
    return { weights: v.weights.map((n) => toF64(src[n]!)), biases: v.biases.map((n) => toF64(src[n]!)) };
  }

  /**
   * Replace the momentum velocity (rounded to float32; null: start again from zero); for
   * resuming a checkpoint. A velocity this backend handed over comes back exactly.
   */
  async setVelocity(velocity: Params | null): Promise<void> {
    let next: Feeds | undefined;
    if (velocity) {
      if (velocity.weights.length !== this.L || velocity.biases.length !== this.L)
        throw new RangeError(`${this.name}: expected ${this.L} velocity matrices and vectors`);
      const v = velocityNames(this.spec);
      next = {};
      for (let l = 1; l <= this.L; l++) {
        const n = this.spec.sizes[l]!;
        const m = this.spec.sizes[l - 1]!;
        if (velocity.weights[l - 1]!.length !== n * m || velocity.biases[l - 1]!.length !== n)
          throw new RangeError(
            `${this.name}: the velocity of W${l} must be ${n}×${m} and of b${l} length ${n}`,
          );
        next[v.weights[l - 1]!] = this.f32(Float32Array.from(velocity.weights[l - 1]!), [n, m]);
        next[v.biases[l - 1]!] = this.f32(Float32Array.from(velocity.biases[l - 1]!), [n]);
      }
    }
    this.disposeFeeds(this.velocity);
    this.velocity = next;
  }

  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    const n0 = this.spec.sizes[0]!;
    if (x.length < size * n0)
      throw new RangeError(`${this.name}: x holds ${x.length} values, fewer than ${size}×${n0}`);
    const x32 = Float32Array.from(x.subarray(0, size * n0));
    const out = await (await this.session('forward')).run({
      x: this.f32(x32, [size, n0]),
      ...this.paramFeeds(),
    });
    const zs: Float64Array[] = [];
    const activations: Float64Array[] = [Float64Array.from(x32)];
    for (let l = 1; l <= this.L; l++) {
      zs.push(toF64(out[`z${l}`]!));
      activations.push(toF64(out[`a${l}`]!));
    }
    return { zs, activations };
  }

  private batchFeeds(batch: Batch): Feeds {
    const n0 = this.spec.sizes[0]!;
    const nL = this.spec.sizes[this.L]!;
    return {
      x: this.f32(Float32Array.from(batch.x.subarray(0, batch.size * n0)), [batch.size, n0]),
      y: this.f32(Float32Array.from(batch.y.subarray(0, batch.size * nL)), [batch.size, nL]),
      inv_m: this.scalar(1 / batch.size),
    };
  }

  async backprop(batch: Batch): Promise<BackpropTrace> {
    const feeds = this.batchFeeds(batch);
    const out = await (await this.session('debug')).run({ ...feeds, ...this.paramFeeds() });
    const zs: Float64Array[] = [];
    const activations: Float64Array[] = [toF64(feeds.x!)];
    const deltas: Float64Array[] = [];
    const weights: Float64Array[] = [];
    const biases: Float64Array[] = [];
    for (let l = 1; l <= this.L; l++) {
      zs.push(toF64(out[`z${l}`]!));
      activations.push(toF64(out[`a${l}`]!));
      deltas.push(toF64(out[`delta${l}`]!));
      weights.push(toF64(out[`gW${l}`]!));
      biases.push(toF64(out[`gb${l}`]!));
    }
    return {
      zs,
      activations,
      deltas,
      cost: (out.cost!.data as Float32Array)[0]!,
      gradients: { weights, biases },
    };
  }

  private features(sgd: SgdOptions): SgdFeatures {
    if (!(sgd.eta > 0)) throw new RangeError(`learning rate η must be > 0, got ${sgd.eta}`);
    return { momentum: (sgd.momentum ?? 0) !== 0, weightDecay: (sgd.weightDecay ?? 0) !== 0 };
  }

  private variant(f: SgdFeatures): string {
    return `${f.momentum ? '+mom' : ''}${f.weightDecay ? '+wd' : ''}`;
  }

  /** The hyper-parameter and velocity feeds of a train graph. */
  private sgdFeeds(sgd: SgdOptions, f: SgdFeatures): Feeds {
    const feeds: Feeds = { eta: this.scalar(sgd.eta) };
    if (f.weightDecay) feeds.lambda = this.scalar(sgd.weightDecay!);
    if (f.momentum) {
      feeds.mu = this.scalar(sgd.momentum!);
      if (!this.velocity) {
        this.velocity = {};
        const v = velocityNames(this.spec);
        for (let l = 1; l <= this.L; l++) {
          const n = this.spec.sizes[l]!;
          const m = this.spec.sizes[l - 1]!;
          this.velocity[v.weights[l - 1]!] = this.f32(new Float32Array(n * m), [n, m]);
          this.velocity[v.biases[l - 1]!] = this.f32(new Float32Array(n), [n]);
        }
      }
      Object.assign(feeds, this.velocity);
    }
    return feeds;
  }

  /** Take a train graph's outputs as the new state (parameters, velocities). */
  private adopt(out: Record<string, ort.Tensor>, f: SgdFeatures): void {
    const next: Feeds = {};
    for (let i = 0; i < this.L; i++) {
      next[this.inNames.weights[i]!] = out[this.outNames.weights[i]!]!;
      next[this.inNames.biases[i]!] = out[this.outNames.biases[i]!]!;
    }
    this.replaceParams(next);
    if (f.momentum) {
      const vin = velocityNames(this.spec);
      const vout = velocityNames(this.spec, '.next');
      const v: Feeds = {};
      for (let i = 0; i < this.L; i++) {
        v[vin.weights[i]!] = out[vout.weights[i]!]!;
        v[vin.biases[i]!] = out[vout.biases[i]!]!;
      }
      this.disposeFeeds(this.velocity);
      this.velocity = v;
    }
  }

  async step(batch: Batch, sgd: SgdOptions): Promise<number> {
    const f = this.features(sgd);
    const session = await this.session(`step${this.variant(f)}`);
    const out = await session.run({
      ...this.batchFeeds(batch),
      ...this.sgdFeeds(sgd, f),
      ...this.paramFeeds(),
    });
    this.adopt(out, f);
    return (out.cost!.data as Float32Array)[0]!;
  }

  /**
   * One epoch over the mini-batches of `epochBatches`, from `options.startStep` on. Fast mode
   * runs `stepsPerRun` steps per `session.run` over the full batches, ending a group early
   * where `options.pauseEvery` asks for a call of `betweenSteps`; naive mode, and the last
   * (smaller) batch in fast mode, run one `session.run` per mini-batch. `onSteps` and
   * `betweenSteps` follow every run.
   */
  async trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    const n0 = this.spec.sizes[0]!;
    const nL = this.spec.sizes[this.L]!;
    if (data.inputSize !== n0 || data.classes !== nL)
      throw new RangeError(
        `${this.name}: ${data.name} has ${data.inputSize} inputs and ${data.classes} classes; the network needs ${n0} and ${nL}`,
      );
    const f = this.features(options);
    const B = options.batchSize;
    const batches = epochBatches(data.count, B, options.seed, options.lastBatch); // sgd.epoch
    const first = epochStart(options, batches.length);
    const costs = new Float64Array(batches.length - first);
    /** After steps `from`…`from + k − 1`: report their costs, then the pause between steps. */
    const ran = async (from: number, k: number) => {
      options.onSteps?.(from, costs.subarray(from - first, from - first + k));
      const pause = options.betweenSteps?.(from + k);
      if (pause) await pause;
    };
    const full =
      batches.length > 0 && batches[batches.length - 1]!.length < B ? batches.length - 1 : batches.length;
    let done = first;
    if (this.mode === 'fast' && done < full) {
      const gathered =
        this.feed === 'per-run'
          ? { x: new Float32Array(this.stepsPerRun * B * n0), y: new Float32Array(this.stepsPerRun * B * nL) }
          : undefined;
      const res = gathered ? undefined : await this.residentData(data);
      const order = new Int32Array(this.stepsPerRun * B);
      const invM = this.scalar(1 / B);
      // The batches are consecutive slices of one permutation, so K steps' indices are one contiguous run.
      const perm = batches[0]!;
      const permAll = new Uint32Array(perm.buffer, perm.byteOffset, full * B);
      while (done < full) {
        // A shorter group (the epoch's remainder, or up to a pause) is a power of two: one unrolled
        // graph per length, so at most log₂(stepsPerRun) + 1 of them however the epochs fall.
        const room = Math.min(full - done, stepsToPause(options, done));
        const k = room >= this.stepsPerRun ? this.stepsPerRun : 2 ** Math.floor(Math.log2(room));
        const session = await this.session(`steps:${k}${this.variant(f)}`);
        const idx = order.subarray(0, k * B);
        let dataFeeds: Feeds;
        if (gathered) {
          // CUDA: onnxruntime-node has no device tensors, so a resident data set would be copied
          // to the GPU on every run; send only these k batches' rows and index them in order.
          const rows = permAll.subarray(done * B, (done + k) * B);
          fillInputs(data, rows, gathered.x);
          fillTargets(data, rows, gathered.y);
          for (let i = 0; i < k * B; i++) idx[i] = i;
          dataFeeds = {
            data_x: this.f32(gathered.x.subarray(0, k * B * n0), [k * B, n0]),
            data_y: this.f32(gathered.y.subarray(0, k * B * nL), [k * B, nL]),
          };
        } else {
          idx.set(permAll.subarray(done * B, (done + k) * B));
          dataFeeds = { data_x: res!.x, data_y: res!.y };
        }
        const feeds: Feeds = {
          ...dataFeeds,
          order: new this.runtime.ort.Tensor('int32', idx, [k, B]),
          inv_m: invM,
          ...this.sgdFeeds(options, f),
          ...this.paramFeeds(),
        };
        const out = await session.run(feeds);
        this.adopt(out, f);
        const stepCosts = out.costs!.data as Float32Array;
        for (let i = 0; i < k; i++) costs[done - first + i] = stepCosts[i]!;
        const from = done;
        done += k;
        await ran(from, k);
      }
    }
    // Naive mode, and the last (smaller) batch in fast mode: one run per mini-batch, of exactly its rows.
    const x = new Float64Array(B * n0);
    const y = new Float64Array(B * nL);
    for (; done < batches.length; done++) {
      const rows = batches[done]!;
      fillInputs(data, rows, x);
      fillTargets(data, rows, y);
      costs[done - first] = await this.step(batchOf(rows.length, x, y, n0, nL), options);
      await ran(done, 1);
    }
    return { batches, costs };
  }

  /** The data set as float32 tensors, uploaded once and kept (on the GPU for WebGPU). */
  private async residentData(data: DataSet): Promise<ResidentData> {
    const known = this.resident.get(data);
    if (known) return known;
    const n0 = data.inputSize;
    const x = new Float32Array(data.count * n0);
    const s = data.featureScale;
    for (let i = 0; i < x.length; i++) x[i] = data.features[i]! * s;
    const y = new Float32Array(data.count * data.classes);
    for (let i = 0; i < data.count; i++) y[i * data.classes + data.labels[i]!] = 1;
    let res: ResidentData = { x: this.f32(x, [data.count, n0]), y: this.f32(y, [data.count, data.classes]) };
    if (this.provider === 'webgpu') {
      const upX = await (await this.session(`upload:${n0}`)).run({ host: res.x });
      const upY = await (await this.session(`upload:${data.classes}`)).run({ host: res.y });
      res = { x: upX.device!, y: upY.device! };
      this.residentTensors.push(res.x, res.y);
    }
    this.resident.set(data, res);
    return res;
  }

  async dispose(): Promise<void> {
    this.disposeFeeds(this.params);
    this.disposeFeeds(this.velocity);
    this.params = {};
    this.velocity = undefined;
    for (const t of this.residentTensors.splice(0)) t.dispose();
    this.sessions.clear();
    for (const id of this.sessionIds.splice(0)) {
      const entry = shared.get(id);
      if (!entry || --entry.users > 0) continue;
      idle.set(id, entry.session);
      while (idle.size > IDLE_SESSIONS) {
        const [oldest, session] = idle.entries().next().value as [string, Promise<Session>];
        idle.delete(oldest);
        shared.delete(oldest);
        await (await session.catch(() => undefined))?.release();
      }
    }
  }
}
