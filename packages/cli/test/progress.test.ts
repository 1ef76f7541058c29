import { describe, expect, it } from 'vitest';
import { TaskProgress, TrainProgress } from '../src/progress.js';

/** A stand-in for a terminal (or a pipe when isTTY is false) that records what is written. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 100,
    write: (s: string) => {
      chunks.push(s);
      return true;
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

describe('TrainProgress', () => {
  it('draws a bar with steps, time left and running cost on a terminal, then the epoch line', async () => {
    const { stream, text } = fakeStream(true);
    const lines: string[] = [];
    const p = new TrainProgress({ stream, log: (l) => lines.push(l) });
    p.startEpoch(1, 3, 200);
    await new Promise((r) => setTimeout(r, 250));
    p.step(100, 200, 0.1234);
    expect(text()).toMatch(/epoch 1\/3 .* 100\/200 steps \| ETA \d+:\d\d \| cost 0\.1234/);
    p.endEpoch('epoch 1/3  validation 90.00%');
    expect(lines).toEqual(['epoch 1/3  validation 90.00%']);
  });

  it('writes only the epoch lines when the output is not a terminal, and nothing when quiet', async () => {
    for (const quiet of [false, true]) {
      const { stream, text } = fakeStream(false);
      const p = new TrainProgress({ stream, quiet });
      p.startEpoch(1, 1, 10);
      for (let i = 1; i <= 10; i++) p.step(i, 10, 0.5);
      p.endEpoch('epoch 1/1  validation 50.00%');
      expect(text()).toBe(quiet ? '' : 'epoch 1/1  validation 50.00%\n');
    }
  });
});

describe('TaskProgress', () => {
  it('draws a bar per label with the work done and the time left on a terminal', async () => {
    const { stream, text } = fakeStream(true);
    const p = new TaskProgress({ stream });
    p.report('noise: training', 0, 40);
    await new Promise((r) => setTimeout(r, 250)); // cli-progress draws at once after 2 frames without a draw
    p.report('noise: training', 20, 40);
    expect(text()).toMatch(/noise: training .* 20\/40 \| ETA \d+:\d\d/);
    p.report('noise: showing noise', 0, 1); // a new label, a new bar
    expect(text()).toMatch(/noise: showing noise .* 0\/1 \| ETA -/);
    p.end();
  });

  it('writes a line per tenth of each piece of work elsewhere, and nothing when quiet', () => {
    for (const quiet of [false, true]) {
      const lines: string[] = [];
      const p = new TaskProgress({ stream: fakeStream(false).stream, quiet, log: (l) => lines.push(l) });
      for (let i = 0; i <= 100; i++) p.report('a', i, 100);
      p.report('b', 0, 2);
      p.report('b', 2, 2);
      p.end();
      expect(lines).toEqual(
        quiet
          ? []
          : [
              ...Array.from({ length: 11 }, (_, t) => `${String(10 * t).padStart(3)}%  a`),
              '  0%  b',
              '100%  b',
            ],
      );
    }
  });
});
