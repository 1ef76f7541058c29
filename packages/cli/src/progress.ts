import cliProgress from 'cli-progress';

/** Where progress goes: a terminal gets a live bar, anything else only whole lines. */
export interface ProgressOptions {
  readonly stream?: NodeJS.WriteStream;
  /** No bar and no per-epoch lines: only what the caller prints itself. */
  readonly quiet?: boolean;
  /** Whether to draw the live bar (default: the stream is a TTY). */
  readonly bar?: boolean;
  /** Prints a whole line (default: written to the stream). */
  readonly log?: (line: string) => void;
}

/** Minutes and seconds, e.g. "1:05", or "-" before an estimate exists. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The training progress display: during an epoch a bar with the steps done, the time left
 * and the epoch's running mean cost (on a terminal only, redrawn at most ten times a second);
 * after it one line per epoch (unless quiet).
 */
export class TrainProgress {
  private readonly stream: NodeJS.WriteStream;
  private readonly quiet: boolean;
  private readonly drawBar: boolean;
  private readonly log: (line: string) => void;
  private bar: cliProgress.SingleBar | undefined;
  private lastDraw = 0;
  private epochStart = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.quiet = options.quiet ?? false;
    this.drawBar = !this.quiet && (options.bar ?? this.stream.isTTY === true);
    this.log = options.log ?? ((line) => this.stream.write(`${line}\n`));
  }

  /** Begin epoch `epoch` of `epochs`, `steps` SGD steps long. */
  startEpoch(epoch: number, epochs: number, steps: number): void {
    this.epochStart = performance.now();
    if (!this.drawBar) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `epoch ${epoch}/${epochs} {bar} {value}/{total} steps | ETA {left} | cost {cost}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(steps, 0, { left: '-', cost: '-' });
    this.lastDraw = 0;
  }

  /** After a step: `done` steps of this epoch, the epoch's running mean cost. */
  step(done: number, total: number, runningCost: number): void {
    if (!this.bar) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const left = done > 0 ? (elapsed * (total - done)) / done : Number.NaN;
    this.bar.update(done, { left: formatDuration(left), cost: runningCost.toFixed(4) });
  }

  /** End the epoch's bar and print its summary line (unless quiet). */
  endEpoch(line: string): void {
    this.bar?.stop();
    this.bar = undefined;
    if (!this.quiet) this.log(line);
  }

  /** Remove any bar (on error). */
  abort(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
