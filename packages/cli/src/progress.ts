import cliProgress from 'cli-progress';

/** Where progress goes: a terminal gets a live bar, anything else only whole lines. */
export interface ProgressOptions {
  readonly stream?: NodeJS.WriteStream;
  /** No bar and no lines: only what the caller prints itself. */
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
 * The live bar both displays draw on a terminal: `TITLE ▓▓▓░░ done/total UNIT | ETA m:ss` and
 * any `extra` after it, redrawn at most ten times a second, removed when it stops.
 */
class LiveBar {
  private readonly bar: cliProgress.SingleBar;
  private started = 0;
  private lastDraw = 0;

  constructor(stream: NodeJS.WriteStream, title: string, unit: string, total: number, extra = '') {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${title} {bar} {value}/{total}${unit} | ETA {left}${extra}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.started = performance.now();
    this.bar.start(total, 0, { left: '-', cost: '-' });
  }

  /** `done` of `total` finished; `payload` fills the fields of `extra`. Throttled, except the last. */
  update(done: number, total: number, payload: Record<string, string> = {}): void {
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const left = done > 0 ? (elapsed * (total - done)) / done : Number.NaN;
    this.bar.update(done, { left: formatDuration(left), ...payload });
  }

  stop(): void {
    this.bar.stop();
  }
}

/** Where a display writes and whether it draws: what both displays below are made of. */
abstract class Display {
  protected readonly stream: NodeJS.WriteStream;
  protected readonly quiet: boolean;
  protected readonly drawBar: boolean;
  protected readonly log: (line: string) => void;
  protected bar: LiveBar | undefined;

  constructor(options: ProgressOptions, stream: NodeJS.WriteStream) {
    this.stream = options.stream ?? stream;
    this.quiet = options.quiet ?? false;
    this.drawBar = !this.quiet && (options.bar ?? this.stream.isTTY === true);
    this.log = options.log ?? ((line) => this.stream.write(`${line}\n`));
  }

  /** Remove any bar. */
  protected stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/**
 * The training progress display: during an epoch a bar with the steps done, the time left
 * and the epoch's running mean cost (on a terminal only); after it one line per epoch (unless quiet).
 * Writes to stdout unless told otherwise.
 */
export class TrainProgress extends Display {
  constructor(options: ProgressOptions = {}) {
    super(options, process.stdout);
  }

  /** Begin epoch `epoch` of `epochs`, `steps` SGD steps long. */
  startEpoch(epoch: number, epochs: number, steps: number): void {
    if (this.drawBar)
      this.bar = new LiveBar(this.stream, `epoch ${epoch}/${epochs}`, ' steps', steps, ' | cost {cost}');
  }

  /** After a step: `done` steps of this epoch, the epoch's running mean cost. */
  step(done: number, total: number, runningCost: number): void {
    this.bar?.update(done, total, { cost: runningCost.toFixed(4) });
  }

  /** End the epoch's bar and print its summary line (unless quiet). */
  endEpoch(line: string): void {
    this.stopBar();
    if (!this.quiet) this.log(line);
  }

  /** Remove any bar (on error). */
  abort(): void {
    this.stopBar();
  }
}

/**
 * Progress through a sequence of labelled pieces of work (one training run after another, say),
 * on stderr unless told otherwise: a live bar per label on a terminal; elsewhere one line per tenth of each
 * piece ("40%  LABEL"), so that logs stay short. Nothing when quiet.
 */
export class TaskProgress extends Display {
  private label = '';
  private tenth = -1;

  constructor(options: ProgressOptions = {}) {
    super(options, process.stderr);
  }

  /** `done` of `total` units of the work called `label` are finished. */
  report(label: string, done: number, total: number): void {
    if (this.quiet) return;
    const fresh = label !== this.label;
    this.label = label;
    if (this.drawBar) {
      if (fresh) {
        this.stopBar();
        this.bar = new LiveBar(this.stream, label, '', total);
      }
      this.bar!.update(done, total);
      return;
    }
    const tenth = Math.floor((total > 0 ? Math.min(1, done / total) : 1) * 10);
    if (!fresh && tenth === this.tenth) return;
    this.tenth = tenth;
    this.log(`${String(tenth * 10).padStart(3)}%  ${label}`);
  }

  /** Remove the bar. */
  end(): void {
    this.stopBar();
    this.label = '';
  }
}
