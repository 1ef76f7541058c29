/**
 * A progress line on stderr for long experiments: rewritten in place on a terminal, and a
 * line per tenth of the work (per label) when stderr is a file or a pipe, so logs stay short.
 */

/** Reports that `done` of `total` units of the work called `label` are finished. */
export type ProgressFn = (label: string, done: number, total: number) => void;

/** A progress reporter that can be closed (ends the line on a terminal). */
export interface Progress extends ProgressFn {
  end(): void;
}

/** A reporter that does nothing (tests, `--quiet`). */
export const silentProgress: Progress = Object.assign(() => {}, { end() {} });

/** The progress printer for `stream` (stderr by default). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let lastLabel = '';
  let lastTenth = -1;
  let lastDraw = 0;
  let open = false;
  const report = (label: string, done: number, total: number) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    if (tty) {
      const now = performance.now();
      if (label === lastLabel && now - lastDraw < 100 && done < total) return;
      lastLabel = label;
      lastDraw = now;
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      stream.write(`\r\x1b[2K${bar} ${(fraction * 100).toFixed(0).padStart(3)}%  ${label}`);
      open = true;
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (label === lastLabel && tenth === lastTenth) return;
    lastLabel = label;
    lastTenth = tenth;
    stream.write(`${(fraction * 100).toFixed(0).padStart(3)}%  ${label}\n`);
  };
  return Object.assign(report, {
    end() {
      if (tty && open) stream.write('\n');
      open = false;
    },
  });
}
