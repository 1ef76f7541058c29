import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultMnistDir,
  IdxError,
  InputFileError,
  inputDirectoryProblem,
  inputFileProblem,
  loadMnist,
  MNIST_FILES,
  readIdx,
  readInputFile,
} from '../src/index.js';

/**
 * Files that are not regular files, made for real: a FIFO (mkfifo), a Unix socket, a character
 * device (/dev/zero), a directory, a dangling symbolic link and a loop of two. Reading any of
 * the first three would block or never end; each must be refused at once, naming what it is.
 * Every test has a short timeout: a hang is a failure, not a wait.
 */
const dir = mkdtempSync(join(tmpdir(), 'backprop-input-file-'));
const fifo = join(dir, 'fifo');
const socket = join(dir, 'socket');
const dangling = join(dir, 'dangling');
const loopA = join(dir, 'loop-a');
const loopB = join(dir, 'loop-b');
const regular = join(dir, 'regular.bin');
let server: Server;

beforeAll(async () => {
  execFileSync('mkfifo', [fifo]);
  symlinkSync(join(dir, 'nowhere'), dangling);
  symlinkSync(loopB, loopA);
  symlinkSync(loopA, loopB);
  writeFileSync(regular, Uint8Array.of(1, 2, 3));
  server = createServer();
  await new Promise<void>((done) => server.listen(socket, done));
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

describe('readInputFile: only regular files are read', { timeout: 5_000 }, () => {
  const cases: [string, () => string, RegExp][] = [
    ['a FIFO', () => fifo, /fifo is a FIFO \(named pipe\), not a regular file$/],
    ['a Unix socket', () => socket, /socket is a socket, not a regular file$/],
    ['a character device', () => '/dev/zero', /^\/dev\/zero is a character device, not a regular file$/],
    ['a directory', () => dir, /is a directory, not a regular file$/],
    [
      'a dangling symbolic link',
      () => dangling,
      /dangling is a symbolic link to .*nowhere, which does not exist \(a dangling link\)$/,
    ],
    [
      'a symbolic link loop',
      () => loopA,
      /loop-a is a symbolic link loop \(.*loop-a → .*loop-b → .*loop-a\)$/,
    ],
    ['a missing file', () => join(dir, 'missing'), /missing: no such file or directory$/],
    [
      'a path through a file',
      () => join(regular, 'x'),
      /a part of the path before the last is not a directory$/,
    ],
  ];
  for (const [what, path, message] of cases)
    it(`refuses ${what}, naming it`, () => {
      expect(() => readInputFile(path())).toThrow(InputFileError);
      expect(() => readInputFile(path())).toThrow(message);
      expect(inputFileProblem(path())).not.toBeNull();
    });

  it('reads a regular file, and a symbolic link to one', () => {
    const link = join(dir, 'link-to-regular');
    symlinkSync(regular, link);
    expect([...readInputFile(regular)]).toEqual([1, 2, 3]);
    expect([...readInputFile(link)]).toEqual([1, 2, 3]);
    expect(inputFileProblem(link)).toBeNull();
  });

  it('inputDirectoryProblem: a directory passes; a FIFO or a file is named', () => {
    expect(inputDirectoryProblem(dir)).toBeNull();
    expect(inputDirectoryProblem(fifo)).toBe('is a FIFO (named pipe), not a directory');
    expect(inputDirectoryProblem(regular)).toBe('is a regular file, not a directory');
  });
});

describe('data files: a FIFO anywhere a file is read is refused at once', { timeout: 10_000 }, () => {
  it('readIdx of a FIFO is an IdxError naming it', () => {
    expect(() => readIdx(fifo)).toThrow(IdxError);
    expect(() => readIdx(fifo)).toThrow(`${fifo}: it is a FIFO (named pipe), not a regular file`);
  });

  it('loadMnist with a FIFO in place of one of the four files, or as the directory itself', () => {
    const data = join(dir, 'mnist');
    mkdirSync(data);
    const bundled = defaultMnistDir();
    // Links to the bundled files (a link to a regular file is read as the file).
    for (const f of Object.values(MNIST_FILES)) symlinkSync(join(bundled, f), join(data, f));
    expect(loadMnist(data).test.count).toBe(10000); // whole, it loads
    rmSync(join(data, MNIST_FILES.testLabels));
    execFileSync('mkfifo', [join(data, MNIST_FILES.testLabels)]);
    expect(() => loadMnist(data)).toThrow(
      /t10k-labels-idx1-ubyte: it is a FIFO \(named pipe\), not a regular file/,
    );
    expect(() => loadMnist(fifo)).toThrow(/it is a FIFO \(named pipe\), not a directory/);
    rmSync(join(data, MNIST_FILES.trainLabels));
    symlinkSync(join(dir, 'gone.gz'), join(data, MNIST_FILES.trainLabels));
    expect(() => loadMnist(data)).toThrow(
      /train-labels-idx1-ubyte: it is a symbolic link to .*gone\.gz, which does not exist/,
    );
  });
});
