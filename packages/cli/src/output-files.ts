import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  type Stats,
  statfsSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { makeDirectory } from '@backprop/core';
import { describeKind } from '@backprop/data';
import { InputError } from './command.js';

/**
 * Output files claimed before any work: the directory is created, a lock file beside each
 * output is created and written (which proves the directory writable, and keeps a second
 * process from writing the same output), an existing file is refused where it must not be
 * overwritten, and the free space is checked against what will be written. Every problem is an
 * {@link InputError} naming the path, the flag that gave it and the cause in words: nothing has
 * been computed yet, so nothing is lost.
 */

/** One output to claim. */
export interface OutputRequest {
  /** Where the file will be written. */
  readonly path: string;
  /** The flag that gave the path, for messages (e.g. "--out" or "--model"). */
  readonly flag: string;
  /** What will be written there, e.g. "model file". */
  readonly what: string;
  /** Refuse an existing file unless `force` (runs, models, checkpoints: someone's work). */
  readonly protect?: boolean;
  /** Overwrite a protected file that exists. */
  readonly force?: boolean;
  /** What a protected file that exists is, and what to do with it (e.g. how to resume); default "the WHAT of an earlier run". */
  readonly existsHint?: (path: string) => string;
  /** About how many bytes will be written, for the free-space check (counted twice: the old file stays until the new one is whole). */
  readonly bytes?: number;
}

/** The cause of a failed file-system call, in words: "read-only file system (EROFS)". */
export function errnoWords(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EFBIG: 'file too large for the file system (or the process file-size limit)',
    ENOENT: 'a directory on the path does not exist',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EISDIR: 'it is a directory',
    ENAMETOOLONG: 'the path is too long',
    ELOOP: 'a symbolic link loop on the path',
    EIO: 'input/output error',
  };
  return err.code && words[err.code] ? `${words[err.code]} (${err.code})` : (err.code ?? err.message);
}

/** The first existing part of `dir`'s path that is not a directory, with what it is; null if none. */
function blockingFile(dir: string): string | null {
  let at = resolve(dir);
  const parts: string[] = [];
  while (dirname(at) !== at) {
    parts.unshift(at);
    at = dirname(at);
  }
  for (const p of parts) {
    let s: Stats;
    try {
      s = statSync(p);
    } catch {
      return null;
    }
    if (!s.isDirectory()) return `${p} is ${describeKind(s)}, not a directory`;
  }
  return null;
}

/** Why `dir` could not be made, in words: the file in the way, or the error's cause. */
function mkdirProblem(dir: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST') return blockingFile(dir) ?? errnoWords(e);
  // ENOENT from mkdir under a parent that exists: a file system that makes no directories (/proc, /sys).
  if (code === 'ENOENT') return 'the file system there does not allow creating directories (ENOENT)';
  return errnoWords(e);
}

/** Megabytes or gigabytes, e.g. "1.2 GB". */
export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

/** What a lock file holds: who is writing the output. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

/** Whether process `pid` is running here (a process we may not signal is running too). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(lock: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(lock, 'utf8'));
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

/** Locks this process holds, removed when it exits however it exits (process.exit included). */
const held = new Set<string>();
let exitHook = false;

function removeHeld(): void {
  for (const lock of held) rmSync(lock, { force: true });
  held.clear();
}

/** Outputs claimed by {@link claimOutputs}: their locks, and the directories made for them. */
export class OutputClaims {
  constructor(
    /** The lock files, one per output. */
    readonly locks: readonly string[],
    /** The directories created for the outputs, outermost first. */
    readonly created: readonly string[] = [],
  ) {}

  /** Remove the locks (the outputs are written, or will not be), then the directories made for them that stayed empty. */
  release(): void {
    for (const lock of this.locks) {
      if (held.delete(lock)) rmSync(lock, { force: true });
    }
    for (const dir of [...this.created].reverse())
      try {
        if (readdirSync(dir).length === 0) rmdirSync(dir);
      } catch {}
  }
}

/** `.NAME.lock` beside `path`. */
export function lockPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.lock`);
}

/** Create the lock of `r.path` (the probe that its directory is writable), or say who holds it. */
function lock(r: OutputRequest): string {
  const dir = dirname(r.path);
  const file = lockPath(r.path);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InputError(`cannot write in ${dir} (the ${r.what}, ${r.flag} ${r.path}): ${errnoWords(e)}`);
      const owner = readOwner(file);
      if (owner && owner.host === hostname() && alive(owner.pid))
        throw new InputError(
          `${r.path} is being written by another backprop process (pid ${owner.pid}, since ${owner.started}; lock ${file}): wait for it to finish, or give another ${r.flag}`,
        );
      rmSync(file, { force: true }); // left by a process that is gone (killed): stale
      continue;
    }
    try {
      const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
      const text = Buffer.from(`${JSON.stringify(owner)}\n`);
      writeSync(fd, text, 0, text.length);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      rmSync(file, { force: true });
      throw new InputError(`cannot write in ${dir} (the ${r.what}, ${r.flag} ${r.path}): ${errnoWords(e)}`);
    }
    closeSync(fd);
    return file;
  }
  throw new InputError(`${r.path}: its lock ${file} keeps coming back; is another backprop writing it?`);
}

/** Refuse what is at `r.path` when it is not a file to write over. */
function checkTarget(r: OutputRequest): boolean {
  let s: Stats;
  try {
    s = statSync(r.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // Nothing there, or a link to nothing: the write replaces the link with the file.
      return false;
    }
    if (code === 'ENOTDIR') {
      const blocker = blockingFile(dirname(r.path));
      throw new InputError(
        `${r.flag} ${r.path}: ${blocker ?? 'a part of the path is a file, not a directory'}`,
      );
    }
    if (code === 'ELOOP') {
      const link = lstatSync(r.path, { throwIfNoEntry: false });
      throw new InputError(
        `${r.flag} ${r.path} ${link?.isSymbolicLink() ? 'is a symbolic link loop' : 'has a symbolic link loop on its path'}`,
      );
    }
    throw new InputError(`${r.flag} ${r.path}: ${errnoWords(e)}`);
  }
  if (s.isDirectory())
    throw new InputError(
      `${r.flag} ${r.path} is a directory; the ${r.what} is a file: give a file path, e.g. ${join(r.path, basename(r.path) === '' ? 'file.json' : `${r.what.split(' ')[0]}.json`)}`,
    );
  if (!s.isFile())
    throw new InputError(
      `${r.flag} ${r.path} is ${describeKind(s)}, not a regular file; give the path of a file to write the ${r.what} to`,
    );
  if (r.protect && !r.force)
    throw new InputError(
      `${r.path} exists (${r.existsHint ? r.existsHint(r.path) : `the ${r.what} of an earlier run`}): give another ${r.flag.replace(' (default)', '')}, or --force to overwrite it`,
    );
  return true;
}

/**
 * Claim `requests` before any work (see the module comment): on success every output's
 * directory exists and holds its lock; on the first problem, the locks taken so far are
 * released and an {@link InputError} says what and where.
 */
export function claimOutputs(requests: readonly OutputRequest[], made: readonly string[] = []): OutputClaims {
  const locks: string[] = [];
  const created = [...made];
  if (!exitHook) {
    process.on('exit', removeHeld);
    exitHook = true;
  }
  try {
    const existing = new Map<string, boolean>();
    for (const r of requests) existing.set(r.path, checkTarget(r));
    for (const r of requests) {
      const dir = dirname(r.path);
      try {
        created.push(...makeDirectory(dir));
      } catch (e) {
        throw new InputError(
          `cannot create the directory ${dir} for the ${r.what} (${r.flag} ${r.path}): ${mkdirProblem(dir, e)}`,
        );
      }
      const l = lock(r);
      held.add(l);
      locks.push(l);
    }
    // Free space, per file system: what every output there will need, twice over where a file
    // is replaced (the old one stays until the new one is whole).
    const need = new Map<number, { dir: string; bytes: number; what: string[] }>();
    for (const r of requests) {
      if (!r.bytes) continue;
      const dir = dirname(r.path);
      const dev = statSync(dir).dev;
      const n = need.get(dev) ?? { dir, bytes: 0, what: [] };
      n.bytes += r.bytes * (existing.get(r.path) ? 2 : 1);
      n.what.push(r.what);
      need.set(dev, n);
    }
    for (const { dir, bytes, what } of need.values()) {
      const fs = statfsSync(dir);
      const free = fs.bavail * fs.bsize;
      if (free < bytes)
        throw new InputError(
          `${dir} has ${formatBytes(free)} free, but the ${what.join(', ')} will need about ${formatBytes(bytes)}: free some space or give another location`,
        );
    }
  } catch (e) {
    new OutputClaims(locks, created).release();
    throw e;
  }
  return new OutputClaims(locks, created);
}

/**
 * A fresh directory for a run's default output: `base`, or `base-2`, `base-3`, … when another
 * run took it first (two runs started in the same second). Created here, exclusively, so that
 * no two processes get the same one. Returns it and every directory created for it (for
 * {@link claimOutputs}, which removes them again if they stay empty).
 */
export function uniqueDirectory(base: string): { dir: string; created: string[] } {
  let created: string[];
  try {
    created = makeDirectory(dirname(base));
  } catch (e) {
    throw new InputError(
      `cannot create the directory ${dirname(base)} for the run's output: ${mkdirProblem(dirname(base), e)}`,
    );
  }
  for (let i = 1; i < 10_000; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      mkdirSync(dir);
      return { dir, created: [...created, resolve(dir)] };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        new OutputClaims([], created).release();
        throw new InputError(`cannot create the directory ${dir} for the run's output: ${errnoWords(e)}`);
      }
    }
  }
  throw new InputError(`${base}: 10,000 runs of that name already; give --out`);
}
