import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * `mkdir -p`: create `dir` and the directories above it that are missing, one at a time from
 * the first that exists. Not `mkdirSync(dir, { recursive: true })`: in Node 20 that never
 * returns for a path under /proc (it retries the ENOENT forever). Throws the failing call's
 * error (EROFS, EACCES, ENOENT, …), or an ENOTDIR error when a part of the path is a file.
 * Returns the directories it created, outermost first.
 */
export function makeDirectory(dir: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      if (statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), {
        code: 'ENOTDIR',
        path: at,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const up = dirname(at);
      if (up === at) throw e;
      missing.push(at);
      at = up;
    }
  }
  const created: string[] = [];
  for (const d of missing.reverse())
    try {
      mkdirSync(d);
      created.push(d);
    } catch (e) {
      // Another process made it in between: fine, if it is a directory.
      if (!((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory())) throw e;
    }
  return created;
}

/** A temporary file beside `path`, named so that concurrent writers never collide. */
function tempPath(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
}

/**
 * Write `data` to `path` so that a reader sees the old file or the new one, never a part:
 * write a temporary file in the same directory, fsync it, then rename it over `path`
 * (rename is atomic within a file system). Missing directories are created.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  makeDirectory(dir);
  const tmp = tempPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  // Persist the rename itself; not every platform lets a directory be opened for fsync.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {}
}

/**
 * {@link writeFileAtomic} without blocking the event loop: the same temporary file, fsync and
 * rename, done by Node's thread pool while JavaScript runs on (checkpoints are written so
 * while training goes on).
 */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  makeDirectory(dir); // a few stat calls: not worth a thread

  const tmp = tempPath(path);
  try {
    const file = await open(tmp, 'wx', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {}
}
