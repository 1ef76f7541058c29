import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type Checkpoint, CheckpointError, JsonFields, readCheckpoint } from '@backprop/core';
import { UsageError } from '../../command.js';
import { parseFlags } from '../../flags.js';
import { parseTrainFlags, RESUME_FLAGS, TRAIN_FLAGS, type TrainConfig } from './flags.js';

/** What a checkpoint of `backprop train` keeps in its `run` field to continue the run. */
export interface RunMeta {
  /** The flags the run started with (--quiet and --resume left out). */
  readonly argv: string[];
  /** The directory relative paths in `argv` are relative to. */
  readonly cwd: string;
  /** When the run started (names its default output directory). */
  readonly started: string;
}

/** The {@link RunMeta} of a run starting now with `argv`. */
export function runMeta(argv: readonly string[], started: Date): RunMeta {
  return { argv: runFlags(argv), cwd: process.cwd(), started: started.toISOString() };
}

/** The flags of `argv` that decide the run (all but --quiet and --resume), as given. */
function runFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (name === 'resume' || name === 'quiet') {
      if (!a.includes('=') && TRAIN_FLAGS[name].type === 'string') i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** The checkpoint's `run` field, checked to be what `backprop train` writes there. */
function checkpointMeta(checkpoint: Checkpoint, path: string): RunMeta {
  const f = new JsonFields(path, CheckpointError);
  const bad = (field: string, expected: string, got: unknown): never =>
    f.problem(
      `run.${field} should be ${expected}, got ${JsonFields.describe(got)}; was this checkpoint written by 'backprop train'?`,
    );
  const { argv, cwd, started } = checkpoint.run;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) bad('argv', 'a list of flags', argv);
  if (typeof cwd !== 'string' || !isAbsolute(cwd)) bad('cwd', 'an absolute path', cwd);
  if (typeof started !== 'string' || Number.isNaN(Date.parse(started)))
    bad('started', 'an ISO date', started);
  return { argv: argv as string[], cwd: cwd as string, started: started as string };
}

/** A run to continue: its configuration, the checkpoint and the checkpoint's {@link RunMeta}. */
export interface Resumed {
  readonly config: TrainConfig;
  readonly checkpoint: Checkpoint;
  readonly meta: RunMeta;
}

/**
 * `backprop train --resume PATH`: the checkpoint, and the run's configuration rebuilt from the
 * flags it started with (paths resolved where it started), with --quiet and --checkpoint-every
 * taken from this call.
 */
export function resumeConfig(argv: readonly string[]): Resumed {
  const { values: v, given } = parseFlags(argv, TRAIN_FLAGS);
  for (const k of given)
    if (!RESUME_FLAGS.has(k))
      throw new UsageError(
        `--${k} cannot be given with --resume: the run continues with the flags it started with (only --quiet and --checkpoint-every may change)`,
      );
  let path = v.resume!;
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'checkpoint.json');
  if (!existsSync(path))
    throw new UsageError(
      `--resume: no checkpoint at ${path}; give the checkpoint file or the run directory of a 'backprop train --checkpoint-every N' run (a run that completed has deleted its checkpoint)`,
    );
  const checkpoint = readCheckpoint(path);
  const meta = checkpointMeta(checkpoint, path);
  let config: TrainConfig;
  try {
    config = parseTrainFlags(meta.argv, new Date(meta.started));
  } catch (e) {
    if (e instanceof UsageError) throw new CheckpointError(`${path}: run.argv: ${e.message}`);
    throw e;
  }
  const at = (p: string) => resolve(meta.cwd, p);
  config = {
    ...config,
    data: { ...config.data, dir: config.data.dir === null ? null : at(config.data.dir) },
    paths: { run: at(config.paths.run), model: at(config.paths.model), checkpoint: resolve(path) },
    quiet: v.quiet,
    checkpointEvery: v['checkpoint-every'] ?? config.checkpointEvery,
  };
  if (JSON.stringify(config.settings.spec) !== JSON.stringify(checkpoint.spec))
    throw new CheckpointError(`${path}: spec does not match the network of run.argv`);
  return { config, checkpoint, meta };
}
