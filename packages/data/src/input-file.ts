import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  type Stats,
  statSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Reading a file the user named, without hanging and without surprises: a FIFO, a device, a
 * socket or a directory is refused before any read (reading a FIFO blocks until some other
 * process writes to it; reading /dev/zero never ends), naming the path and what it is;
 * a symbolic link that leads nowhere, or round in a loop, is named as such. Every reader of this
 * project's files (IDX data, model, run and checkpoint files, images) goes through here.
 */

/** What a file-system entry is, as a message says it: "a directory", "a FIFO (named pipe)", … */
export function describeKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a file';
}

/** Links followed when a message traces a loop, at most. */
const TRACE = 8;

/** `path → target → …` for a chain of symbolic links, up to {@link TRACE} of them. */
function linkChain(path: string): string {
  let at = resolve(path);
  const seen = [at];
  for (let i = 0; i < TRACE; i++) {
    let target: string;
    try {
      target = resolve(dirname(at), readlinkSync(at));
    } catch {
      break;
    }
    seen.push(target);
    if (seen.indexOf(target) < seen.length - 1) break;
    at = target;
  }
  return seen.join(' → ');
}

/** Why `path` cannot be looked at (a stat failed), in words, from the error's code. */
function statProblem(path: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': {
      let link: Stats | undefined;
      try {
        link = lstatSync(path);
      } catch {}
      if (link?.isSymbolicLink())
        return `is a symbolic link to ${resolve(dirname(path), readlinkSync(path))}, which does not exist (a dangling link)`;
      return 'no such file or directory';
    }
    case 'ELOOP':
      return `is a symbolic link loop (${linkChain(path)})`;
    case 'ENOTDIR':
      return 'a part of the path before the last is not a directory';
    case 'EACCES':
      return 'permission denied';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return `cannot be read (${e.code ?? e.message})`;
  }
}

/**
 * Why `path` cannot be read as a regular file (missing, a directory, a FIFO, a device, a
 * dangling link, a link loop), as a clause to follow the path ("is a FIFO (named pipe), not a
 * regular file"); null when it is a regular file. Looks, never opens.
 */
export function inputFileProblem(path: string): string | null {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (e) {
    return statProblem(path, e as NodeJS.ErrnoException);
  }
  return stats.isFile() ? null : `is ${describeKind(stats)}, not a regular file`;
}

/** Why `path` cannot be used as a directory, as {@link inputFileProblem} says it for files; null for a directory. */
export function inputDirectoryProblem(path: string): string | null {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (e) {
    return statProblem(path, e as NodeJS.ErrnoException);
  }
  return stats.isDirectory() ? null : `is ${describeKind(stats)}, not a directory`;
}

/** A file that cannot be read: `path` and the reason ({@link inputFileProblem}'s words). */
export class InputFileError extends Error {
  override name = 'InputFileError';
  constructor(
    /** The path as given. */
    readonly path: string,
    /** What is wrong with it, to follow the path: "is a directory, not a regular file", "no such file or directory". */
    readonly reason: string,
  ) {
    super(reason.startsWith('is ') ? `${path} ${reason}` : `${path}: ${reason}`);
  }

  /** The reason as a clause of its own ("it is a directory, not a regular file"), to follow "PATH: ". */
  get clause(): string {
    return this.reason.startsWith('is ') ? `it ${this.reason}` : this.reason;
  }
}

/**
 * The bytes of the regular file at `path`; an {@link InputFileError} for anything else,
 * before reading a byte. The file is opened without blocking and checked again once open, so
 * that a FIFO put in its place after the first look cannot hang the read either.
 *
 * @example
 * ```ts
 * try {
 *   const bytes = readInputFile('digit.png');
 * } catch (e) {
 *   if (e instanceof InputFileError) console.error(e.message); // "digit.png is a FIFO (named pipe), not a regular file"
 * }
 * ```
 */
export function readInputFile(path: string): Buffer {
  const problem = inputFileProblem(path);
  if (problem !== null) throw new InputFileError(path, problem);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new InputFileError(path, statProblem(path, e as NodeJS.ErrnoException));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new InputFileError(path, `is ${describeKind(stats)}, not a regular file`);
    return readFileSync(fd);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(
      path,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  } finally {
    closeSync(fd);
  }
}
