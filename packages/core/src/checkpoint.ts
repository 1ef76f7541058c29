import { writeFileAtomic, writeFileAtomicAsync } from './atomic.js';
import { is, type JsonFormat, type JsonObject, openJson, readJson } from './json-file.js';
import { type ParamsEncoding, paramsField, paramsJson, specField } from './network-fields.js';
import type { NetworkSpec } from './spec.js';
import type { EpochPoint, Score, StepPoint, TrainState } from './train.js';

/** The `format` tag of a checkpoint file. */
export const CHECKPOINT_FORMAT = 'backprop-checkpoint';
/**
 * The checkpoint file version this code writes: 2, parameters and velocity as base64 of
 * little-endian float64. It still reads version 1 (the same fields, those arrays as JSON numbers).
 */
export const CHECKPOINT_VERSION = 2;

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

const CHECKPOINT_FILE: JsonFormat = {
  format: CHECKPOINT_FORMAT,
  versions: [1, CHECKPOINT_VERSION],
  what: 'checkpoint',
  writtenBy: "'backprop train --checkpoint-every'",
  error: CheckpointError,
};

/** How each version holds the parameter and velocity arrays. */
const ENCODING: Readonly<Record<number, ParamsEncoding>> = { 1: 'numbers', 2: 'base64' };

/** A small JSON value as JSON.parse would read it back. */
const jsonCopy = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

/**
 * The JSON value of a checkpoint (version 2): exactly what `JSON.parse` reads back from its
 * text, so that validating it is validating what a resume will read. Parameters and velocity
 * are base64 of their float64 bytes (exact, and fast to write: a checkpoint is taken while
 * training waits); the rest is converted as JSON.stringify converts it.
 */
function checkpointJson(c: Checkpoint) {
  const s = c.state;
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    spec: { sizes: [...c.spec.sizes], activation: c.spec.activation, cost: c.spec.cost },
    run: jsonCopy(c.run),
    position: { epoch: s.epoch, stepInEpoch: s.stepInEpoch, step: s.step },
    params: paramsJson(s.params, 'base64'),
    velocity: s.velocity === null ? null : paramsJson(s.velocity, 'base64'),
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
 * The JSON text of a checkpoint, version 2: `format`, `version`, `spec`, `run`, `position`
 * (`epoch`, `stepInEpoch`, `step`), `params` and `velocity` (null, or `weights[l-1]` and
 * `biases[l-1]` as in a model file but each array one string: base64 of its little-endian
 * float64 bytes) and `progress` (the cost sums, seconds and the curve so far).
 */
export function serializeCheckpoint(c: Checkpoint): string {
  return `${JSON.stringify(checkpointJson(c))}\n`;
}

/** The text of a checkpoint after validating exactly what a resume will read (CheckpointError if it would not read back). */
function checkedText(path: string, c: Checkpoint): string {
  const json = checkpointJson(c);
  // Decodes the base64 again: a non-finite value would fit in it, but no resume could use it.
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

/** Read and validate a checkpoint file (version 1 or 2). */
export function readCheckpoint(path: string): Checkpoint {
  return parseCheckpoint(readJson(path, CHECKPOINT_FILE), path);
}

/** Validate the parsed JSON of a checkpoint, version 1 or 2 (`source` names it in errors). */
export function parseCheckpoint(json: unknown, source = 'checkpoint'): Checkpoint {
  const { root, version, fields: f } = openJson(json, source, CHECKPOINT_FILE);
  const run = f.object(root.run, 'run');
  // Spec (sizes bounded before anything is allocated), then every parameter: the model file's checks.
  const spec = specField(f, root.spec, 'spec');
  const encoding = ENCODING[version]!;
  const params = paramsField(f, root.params, 'params', spec.sizes, encoding);
  const velocity =
    root.velocity === null ? null : paramsField(f, root.velocity, 'velocity', spec.sizes, encoding);

  const pos = f.object(root.position, 'position');
  const epoch = f.number(pos, 'epoch', 'position', is.integer(1));
  const stepInEpoch = f.number(pos, 'stepInEpoch', 'position', is.integer(0));
  const step = f.number(pos, 'step', 'position', is.integer(0));

  const pr = f.object(root.progress, 'progress');
  const score = (v: unknown, field: string): Score | null => {
    if (v === null) return null;
    const o = f.object(v, field);
    return { accuracy: f.number(o, 'accuracy', field, is.unit), cost: f.numberOrNull(o, 'cost', field) };
  };
  const steps: StepPoint[] = f.objects(pr.steps, 'progress.steps').map((p, i) => {
    const at = `progress.steps[${i}]`;
    return {
      step: f.number(p, 'step', at, is.integer(1)),
      epoch: f.number(p, 'epoch', at, is.integer(1)),
      cost: f.numberOrNull(p, 'cost', at),
      seconds: f.number(p, 'seconds', at, is.seconds),
    };
  });
  const epochs: EpochPoint[] = f.objects(pr.epochs, 'progress.epochs').map((p: JsonObject, i) => {
    const at = `progress.epochs[${i}]`;
    return {
      epoch: f.number(p, 'epoch', at, is.integer(1)),
      step: f.number(p, 'step', at, is.integer(0)),
      seconds: f.number(p, 'seconds', at, is.seconds),
      epochSeconds: f.number(p, 'epochSeconds', at, is.seconds),
      trainCost: f.numberOrNull(p, 'trainCost', at),
      validation: score(p.validation, `${at}.validation`),
      test: score(p.test, `${at}.test`),
    };
  });
  if (epochs.length !== epoch - 1)
    f.fail(
      'progress.epochs',
      `the ${epoch - 1} epochs before position.epoch ${epoch}`,
      epochs,
      `${epochs.length} epochs`,
    );
  return {
    spec,
    run,
    state: {
      epoch,
      stepInEpoch,
      step,
      params,
      velocity,
      epochCostSum: f.number(pr, 'epochCostSum', 'progress'),
      pointCostSum: f.number(pr, 'pointCostSum', 'progress'),
      pointCostCount: f.number(pr, 'pointCostCount', 'progress', is.integer(0)),
      epochSeconds: f.number(pr, 'epochSeconds', 'progress', is.seconds),
      seconds: f.number(pr, 'seconds', 'progress', is.seconds),
      steps,
      epochs,
    },
  };
}
