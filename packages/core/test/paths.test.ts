import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  loadModel,
  ModelFileError,
  makeDirectory,
  RunFileError,
  readCheckpoint,
  readRunFile,
  writeFileAtomic,
} from '../src/index.js';

/**
 * Paths that used to hang or mislead, for real: a FIFO where a model, run or checkpoint file
 * is read (reading it blocks until someone writes), and directories under /proc, where Node's
 * own `mkdirSync(…, { recursive: true })` never returns. Each test has a short timeout: a hang
 * fails it.
 */
const dir = mkdtempSync(join(tmpdir(), 'backprop-core-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading files that are not regular files', { timeout: 5_000 }, () => {
  const fifo = join(dir, 'fifo.json');
  execFileSync('mkfifo', [fifo]);
  it('a FIFO as a model, run or checkpoint file is refused at once, naming what it is', () => {
    expect(() => loadModel(fifo)).toThrow(ModelFileError);
    expect(() => loadModel(fifo)).toThrow(
      `cannot read model file ${fifo}: it is a FIFO (named pipe), not a regular file`,
    );
    expect(() => readRunFile(fifo)).toThrow(RunFileError);
    expect(() => readCheckpoint(fifo)).toThrow(CheckpointError);
    expect(() => readCheckpoint(dir)).toThrow(/it is a directory, not a regular file/);
  });
  it('a missing file says so, and who writes such files', () => {
    expect(() => loadModel(join(dir, 'none.json'))).toThrow(
      /none\.json: no such file or directory \(a model file is written by 'backprop train'\)/,
    );
  });
});

describe('makeDirectory', { timeout: 5_000 }, () => {
  it('creates the missing directories, outermost first, and returns them', () => {
    const deep = join(dir, 'a', 'b', 'c');
    expect(makeDirectory(deep)).toEqual([join(dir, 'a'), join(dir, 'a', 'b'), deep]);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(makeDirectory(deep)).toEqual([]);
  });
  it('fails at once under /proc (where mkdirSync with recursive never returns) and through a file', () => {
    expect(() => makeDirectory('/proc/backprop-test/x')).toThrow(/ENOENT/);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => makeDirectory(join(file, 'sub'))).toThrow(/ENOTDIR/);
    expect(() => writeFileAtomic('/proc/backprop-test/x.json', '{}')).toThrow(/ENOENT/);
  });
});
