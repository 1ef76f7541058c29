/**
 * Colour, on a terminal only. `FORCE_COLOR` wins (`0` or `false` turns colour off, anything
 * else on, even into a pipe); then `NO_COLOR` (https://no-color.org: set and not empty, no
 * colour); otherwise colour when the stream is a terminal whose TERM is not "dumb".
 */

/** Whether text written to `stream` gets colour, under `env` (default: the process's). */
export function colourEnabled(
  stream: { readonly isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Wrappers that colour text for one stream (identity where colour is off). */
export interface Paint {
  readonly enabled: boolean;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly green: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
}

const sgr = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;
const plain = (s: string) => s;

/** The colours for text written to `stream` ({@link colourEnabled} decides). */
export function paint(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Paint {
  const enabled = colourEnabled(stream, env);
  return enabled
    ? {
        enabled,
        red: sgr(31, 39),
        yellow: sgr(33, 39),
        green: sgr(32, 39),
        bold: sgr(1, 22),
        dim: sgr(2, 22),
      }
    : { enabled, red: plain, yellow: plain, green: plain, bold: plain, dim: plain };
}
