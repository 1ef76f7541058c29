import { readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicAsync } from './atomic.js';
import { MODEL_FORMAT, MODEL_VERSION, ModelFileError, parseModel } from './model-file.js';
import type { NetworkSpec, Params } from './spec.js';
import type { EpochPoint, Score, StepPoint, TrainState } from './train.js';

/** The `format` tag of a checkpoint file. */
export const CHECKPOINT_FORMAT = 'backprop-checkpoint';
/** The checkpoint file version this code writes and reads. */
export const CHECKPOINT_VERSION = 1;

/**
 * A checkpoint of a training run: the network, how the run was configured (free-form JSON for
 * the caller that continues it; `backprop train` keeps its flags there) and the
 * {@link TrainState} to continue from.
 */
export interface Checkpoint {
  readonly spec: NetworkSpec;
  readonly run: Readonly<Record<string, unknown>>;
  readonly state: TrainState;
}

/** A checkpoint file that cannot be used; the message names the file and the field. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A number as JSON holds it: JSON.stringify writes NaN and ±Infinity as null. */
const jsonNumber = (x: number): number | null => (Number.isFinite(x) ? x : null);
const plain = (p: Params) => ({
  weights: p.weights.map((w) => Array.from(w, jsonNumber)),
  biases: p.biases.map((b) => Array.from(b, jsonNumber)),
});
/** A small JSON value as JSON.parse would read it back. */
const jsonCopy = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

/**
 * The JSON value of a checkpoint: exactly what `JSON.parse` reads back from its text, so that
 * validating it is validating what a resume will read (finite float64 numbers round-trip JSON
 * exactly; the rest is converted as JSON.stringify converts it).
 */
function checkpointJson(c: Checkpoint) {
  const s = c.state;
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    spec: { sizes: [...c.spec.sizes], activation: c.spec.activation, cost: c.spec.cost },
    run: jsonCopy(c.run),
    position: { epoch: s.epoch, stepInEpoch: s.stepInEpoch, step: s.step },
    params: plain(s.params),
    velocity: s.velocity === null ? null : plain(s.velocity),
    progress: jsonCopy({
      epochCostSum: s.epochCostSum,
      pointCostSum: s.pointCostSum,
      pointCostCount: s.pointCostCount,
      epochSeconds: s.epochSeconds,
      seconds: s.seconds,
      steps: s.steps,
      epochs: s.epochs,
    }),
  };
}

/**
 * The JSON text of a checkpoint, version 1: `format`, `version`, `spec`, `run`, `position`
 * (`epoch`, `stepInEpoch`, `step`), `params` and `velocity` (null or the same layout as a
 * model file's params; JSON numbers round-trip float64 exactly) and `progress` (the cost sums,
 * seconds and the curve so far).
 */
export function serializeCheckpoint(c: Checkpoint): string {
  return `${JSON.stringify(checkpointJson(c))}\n`;
}

/** The text of a checkpoint after validating exactly what a resume will read (CheckpointError if it would not read back). */
function checkedText(path: string, c: Checkpoint): string {
  const json = checkpointJson(c);
  parseCheckpoint(json, path);
  return `${JSON.stringify(json)}\n`;
}

/**
 * Write a checkpoint atomically: a temporary file, fsync, rename. An interrupted write (even
 * SIGKILL) leaves the previous checkpoint whole. Refuses a state that would not read back
 * (non-finite parameters).
 */
export function writeCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomic(path, checkedText(path, c));
}

/**
 * The checkpoints of one run, written to `path` one after another without holding training
 * up: {@link write} validates and serializes a checkpoint at once, then the file is written
 * atomically (as {@link writeCheckpoint} does) in the background while training goes on. The
 * next `write` first waits for the one in flight, so at most one is written at a time and they
 * land in order; a write that failed (a full disk) rejects the next `write` or {@link flush}.
 * Call `flush` before reading or removing the file.
 */
export class CheckpointWriter {
  private inFlight: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private last: Checkpoint | null = null;

  constructor(readonly path: string) {}

  /** The last checkpoint whose file is whole on disk, or null before the first. */
  get written(): Checkpoint | null {
    return this.last;
  }

  /**
   * Validate and serialize `c` now (a {@link CheckpointError} for a state that would not read
   * back), wait for the previous write, then start writing this one; resolves once it is under
   * way.
   */
  async write(c: Checkpoint): Promise<void> {
    const text = checkedText(this.path, c);
    await this.flush();
    this.inFlight = writeFileAtomicAsync(this.path, text).then(
      () => {
        this.last = c;
      },
      (error: unknown) => {
        this.failure = { error };
      },
    );
  }

  /** Wait for the write in flight; rejects with the error of a write that failed. */
  async flush(): Promise<void> {
    await this.inFlight;
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      throw error;
    }
  }
}

/** Read and validate a checkpoint file. */
export function readCheckpoint(path: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(
      `${path} is not JSON (${(e as Error).message}); is it a checkpoint written by 'backprop train --checkpoint-every'?`,
    );
  }
  return parseCheckpoint(json, path);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate the parsed JSON of a checkpoint (`source` names it in errors). */
export function parseCheckpoint(json: unknown, source = 'checkpoint'): Checkpoint {
  const fail = (field: string, expected: string, got: unknown): never => {
    const text = got === undefined ? 'missing' : JSON.stringify(got);
    throw new CheckpointError(
      `${source}: ${field} should be ${expected}, got ${text && text.length > 60 ? `${text.slice(0, 57)}...` : text}`,
    );
  };
  if (!isObject(json)) return fail('(top level)', 'a JSON object', json);
  if (json.format !== CHECKPOINT_FORMAT)
    fail('format', `"${CHECKPOINT_FORMAT}" (is this a checkpoint written by 'backprop train'?)`, json.format);
  if (json.version !== CHECKPOINT_VERSION)
    fail('version', `${CHECKPOINT_VERSION} (the version this build reads)`, json.version);
  if (!isObject(json.run)) fail('run', 'an object', json.run);
  // Spec, sizes (bounded before anything is allocated) and every parameter: the model file's checks.
  const asModel = (params: unknown, field: string) => {
    try {
      return parseModel({ format: MODEL_FORMAT, version: MODEL_VERSION, spec: json.spec, params }, source);
    } catch (e) {
      if (!(e instanceof ModelFileError)) throw e;
      throw new CheckpointError(e.message.replace(`${source}: params`, `${source}: ${field}`));
    }
  };
  const { spec, params } = asModel(json.params, 'params');
  const velocity = json.velocity === null ? null : asModel(json.velocity, 'velocity').params;

  const pos = isObject(json.position) ? json.position : fail('position', 'an object', json.position);
  const int = (o: Record<string, unknown>, key: string, field: string, min: number): number => {
    const v = o[key];
    if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= min))
      fail(`${field}.${key}`, `an integer ≥ ${min}`, v);
    return v as number;
  };
  const num = (o: Record<string, unknown>, key: string, field: string, min = -Infinity): number => {
    const v = o[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= min))
      fail(`${field}.${key}`, min === 0 ? 'a finite number ≥ 0' : 'a finite number', v);
    return v as number;
  };
  // JSON has no NaN: a cost that was NaN is written as null.
  const cost = (o: Record<string, unknown>, key: string, field: string): number =>
    o[key] === null ? Number.NaN : num(o, key, field);
  const epoch = int(pos, 'epoch', 'position', 1);
  const stepInEpoch = int(pos, 'stepInEpoch', 'position', 0);
  const step = int(pos, 'step', 'position', 0);

  const pr = isObject(json.progress) ? json.progress : fail('progress', 'an object', json.progress);
  const score = (v: unknown, field: string): Score | null => {
    if (v === null) return null;
    if (!isObject(v)) return fail(field, 'null or { accuracy, cost }', v);
    const accuracy = num(v, 'accuracy', field, 0);
    if (accuracy > 1) fail(`${field}.accuracy`, 'a number in [0, 1]', accuracy);
    return { accuracy, cost: cost(v, 'cost', field) };
  };
  const list = (key: string): Record<string, unknown>[] => {
    const v = pr[key];
    if (!Array.isArray(v)) return fail(`progress.${key}`, 'an array', v);
    return v.map((p, i) => (isObject(p) ? p : fail(`progress.${key}[${i}]`, 'an object', p)));
  };
  const steps: StepPoint[] = list('steps').map((p, i) => {
    const f = `progress.steps[${i}]`;
    return {
      step: int(p, 'step', f, 1),
      epoch: int(p, 'epoch', f, 1),
      cost: cost(p, 'cost', f),
      seconds: num(p, 'seconds', f, 0),
    };
  });
  const epochs: EpochPoint[] = list('epochs').map((p, i) => {
    const f = `progress.epochs[${i}]`;
    return {
      epoch: int(p, 'epoch', f, 1),
      step: int(p, 'step', f, 0),
      seconds: num(p, 'seconds', f, 0),
      epochSeconds: num(p, 'epochSeconds', f, 0),
      trainCost: cost(p, 'trainCost', f),
      validation: score(p.validation, `${f}.validation`),
      test: score(p.test, `${f}.test`),
    };
  });
  if (epochs.length !== epoch - 1)
    fail(
      'progress.epochs',
      `the ${epoch - 1} epochs before position.epoch ${epoch}`,
      `${epochs.length} epochs`,
    );
  return {
    spec,
    run: json.run as Record<string, unknown>,
    state: {
      epoch,
      stepInEpoch,
      step,
      params,
      velocity,
      epochCostSum: num(pr, 'epochCostSum', 'progress'),
      pointCostSum: num(pr, 'pointCostSum', 'progress'),
      pointCostCount: int(pr, 'pointCostCount', 'progress', 0),
      epochSeconds: num(pr, 'epochSeconds', 'progress', 0),
      seconds: num(pr, 'seconds', 'progress', 0),
      steps,
      epochs,
    },
  };
}
