/**
 * Small text graphics for the terminal: shaded images (a digit in 28 rows) and horizontal
 * bars. Pure functions returning strings, so commands and tests can use them alike.
 */

/** Ten ASCII shades, light to dark: for terminals or logs without Unicode. */
export const ASCII_SHADES = ' .:-=+*#%@';
/** Five Unicode block shades, light to dark. */
export const BLOCK_SHADES = ' ░▒▓█';

/** The character of `shades` for an intensity in [0, 1] (0 → first, 1 → last; values outside are clamped). */
export function shade(intensity: number, shades: string = BLOCK_SHADES): string {
  const chars = [...shades];
  const v = Math.min(1, Math.max(0, Number.isNaN(intensity) ? 0 : intensity));
  return chars[Math.min(chars.length - 1, Math.floor(v * chars.length))]!;
}

/** Options of {@link renderImage}. */
export interface RenderOptions {
  /** Multiply a stored value by this to get an intensity in [0, 1] (1/255 for bytes). */
  readonly scale?: number;
  /** The shades, light to dark (default {@link BLOCK_SHADES}). */
  readonly shades?: string;
  /** Characters per pixel; 2 (the default) makes a square image look square in a terminal. */
  readonly width?: number;
  /** Draw a frame around the image so that its blank margins show. */
  readonly frame?: boolean;
}

/** An image (row-major `rows × cols` values) as lines of shaded characters, one line per row. */
export function renderImage(
  pixels: ArrayLike<number>,
  rows: number,
  cols: number,
  options: RenderOptions = {},
): string[] {
  const { scale = 1, shades = BLOCK_SHADES, width = 2, frame = false } = options;
  if (pixels.length < rows * cols)
    throw new RangeError(`renderImage: ${pixels.length} values for a ${rows}×${cols} image`);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) line += shade(pixels[r * cols + c]! * scale, shades).repeat(width);
    lines.push(frame ? `│${line}│` : line);
  }
  if (!frame) return lines;
  const edge = '─'.repeat(cols * width);
  return [`┌${edge}┐`, ...lines, `└${edge}┘`];
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar `fraction` (0–1) of `width` characters long, drawn in eighths of a character. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, Number.isNaN(fraction) ? 0 : fraction)) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}
