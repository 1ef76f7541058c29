import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

/**
 * Flags as data: each command declares one table of its flags (name, type, default, allowed
 * values, help line, section), and parsing, the messages for bad values and `--help` are all
 * generated from it. Node's `util.parseArgs` does the tokenising underneath.
 */

/**
 * One flag of a command. `T` is its value once parsed and checked; `D` its default (undefined:
 * the flag has no value unless given).
 */
export interface Flag<T = unknown, D extends T | undefined = T | undefined> {
  /** `string` takes a value (`--eta 3` or `--eta=3`); `boolean` is a switch. */
  readonly type: 'string' | 'boolean';
  /** May be given more than once; the value is then the list of values, in order. */
  readonly multiple: boolean;
  /** The `--help` section it is listed under, e.g. "Training". */
  readonly section: string;
  /** How `--help` shows its value, e.g. "N"; empty for a switch. */
  readonly placeholder: string;
  /** What it does, for `--help` (the allowed values and the default are added from the fields below). */
  readonly help: string;
  /** The value when the flag is not given. */
  readonly default: D;
  /** How `--help` states the default when printing `default` would not say it (e.g. "its own choice"). */
  readonly defaultText?: string;
  /** The allowed values of a choice flag, each with what it means (or '' for nothing to add). */
  readonly choices?: readonly (readonly [value: string, meaning: string])[];
  /** Parse and check one given value; throws a {@link UsageError} naming `--name`. */
  parse(raw: string, name: string): T;
}

/** A command's flags by name (without the leading `--`), in the order `--help` lists them. */
export type FlagTable = Readonly<Record<string, Flag<unknown, unknown>>>;

/** The parsed value of each flag of table `F`: its type, or also undefined when it has no default. */
export type FlagValues<F extends FlagTable> = {
  readonly [K in keyof F]: F[K] extends Flag<infer T, infer D>
    ? undefined extends D
      ? T | undefined
      : T
    : never;
};

/** What {@link parseFlags} found: every flag's value, the flags given, and the positional arguments. */
export interface ParsedFlags<F extends FlagTable> {
  readonly values: FlagValues<F>;
  /** The flags that were on the command line (the rest have their defaults). */
  readonly given: ReadonlySet<keyof F & string>;
  readonly positionals: readonly string[];
}

/** Where a flag goes in `--help` and what it says there. */
export interface FlagDoc {
  readonly section: string;
  readonly help: string;
  /** How `--help` shows its value (defaults: "N" for integers, "X" for numbers, "NAME" for choices, "TEXT"). */
  readonly placeholder?: string;
  /** How `--help` states the default, when printing the default value would not say it. */
  readonly defaultText?: string;
}

function flag<T, D extends T | undefined>(
  doc: FlagDoc,
  parts: {
    type?: 'string' | 'boolean';
    multiple?: boolean;
    placeholder: string;
    default: D;
    choices?: readonly (readonly [string, string])[];
    parse: (raw: string, name: string) => T;
  },
): Flag<T, D> {
  return {
    type: parts.type ?? 'string',
    multiple: parts.multiple ?? false,
    section: doc.section,
    placeholder: doc.placeholder ?? parts.placeholder,
    help: doc.help,
    default: parts.default,
    ...(doc.defaultText === undefined ? {} : { defaultText: doc.defaultText }),
    ...(parts.choices === undefined ? {} : { choices: parts.choices }),
    parse: parts.parse,
  };
}

/** A number: the whole value must parse and be finite. */
export function parseNumber(raw: string, name: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got '${raw}'`);
  return n;
}

/** A number flag; `check` ({@link POSITIVE}, say) bounds it, with the words its message uses. */
export function number<D extends number | undefined = undefined>(
  doc: FlagDoc & { readonly default?: D; readonly check?: NumberCheck },
): Flag<number, D> {
  const check = doc.check;
  return flag(doc, {
    placeholder: 'X',
    default: doc.default as D,
    parse(raw, name) {
      const n = parseNumber(raw, name);
      if (check && !check.test(n)) throw new UsageError(`--${name} must be ${check.words}, got ${raw}`);
      return n;
    },
  });
}

/** A bound on a number flag: the test, and how "--name must be WORDS, got X" says it. */
export interface NumberCheck {
  readonly test: (n: number) => boolean;
  readonly words: string;
}
/** x > 0 (a learning rate, say). */
export const POSITIVE: NumberCheck = { test: (n) => n > 0, words: 'greater than 0' };
/** x ≥ 0. */
export const NON_NEGATIVE: NumberCheck = { test: (n) => n >= 0, words: '≥ 0' };
/** 0 ≤ x < 1 (a momentum). */
export const BELOW_ONE: NumberCheck = { test: (n) => n >= 0 && n < 1, words: 'in [0, 1)' };

/** An integer flag, at least `min` (default 1; null for any safe integer, e.g. a seed). */
export function integer<D extends number | undefined = undefined>(
  doc: FlagDoc & { readonly default?: D; readonly min?: number | null },
): Flag<number, D> {
  const min = doc.min === undefined ? 1 : doc.min;
  return flag(doc, {
    placeholder: 'N',
    default: doc.default as D,
    parse(raw, name) {
      const n = parseNumber(raw, name);
      if (min === null ? !Number.isSafeInteger(n) : !(Number.isInteger(n) && n >= min))
        throw new UsageError(`--${name} must be an integer${min === null ? '' : ` ≥ ${min}`}, got ${raw}`);
      return n;
    },
  });
}

/** A flag whose value is one of `values`; `meanings` says what some of them are, for `--help` ("½Σ(a−y)²"). */
export function choice<T extends string, D extends T | undefined = undefined>(
  values: readonly T[],
  doc: FlagDoc & { readonly default?: D; readonly meanings?: Partial<Record<T, string>> },
): Flag<T, D> {
  return flag(doc, {
    placeholder: 'NAME',
    default: doc.default as D,
    choices: values.map((v) => [v, doc.meanings?.[v] ?? ''] as const),
    parse(raw, name) {
      if (!(values as readonly string[]).includes(raw))
        throw new UsageError(`--${name} must be one of ${values.join(', ')}; got '${raw}'`);
      return raw as T;
    },
  });
}

/** A free text flag (a path, a name); `parse` may check it and turn it into something else. */
export function text<T = string, D extends T | undefined = undefined>(
  doc: FlagDoc & { readonly default?: D; readonly parse?: (raw: string, name: string) => T },
): Flag<T, D> {
  return flag(doc, {
    placeholder: 'TEXT',
    default: doc.default as D,
    parse: doc.parse ?? ((raw) => raw as T),
  });
}

/** A text flag that may be given several times: the list of its values (empty when not given). */
export function texts(doc: FlagDoc): Flag<string[], string[]> {
  return flag(doc, { placeholder: 'TEXT', multiple: true, default: [] as string[], parse: (raw) => [raw] });
}

/** A switch: true when given, else false. */
export function toggle(doc: FlagDoc): Flag<boolean, boolean> {
  return flag(doc, { type: 'boolean', placeholder: '', default: false, parse: () => true });
}

/**
 * Parse `argv` against `table`: an unknown flag, a missing value or a positional argument where
 * none is taken is a {@link UsageError} naming it; then each given value is checked by its flag,
 * in the table's order, and the others take their defaults.
 */
export function parseFlags<F extends FlagTable>(
  argv: readonly string[],
  table: F,
  { positionals: allowPositionals = false }: { positionals?: boolean } = {},
): ParsedFlags<F> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(table))
    options[name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, f] of Object.entries(table)) {
    const raw = parsed.values[name];
    if (raw === undefined) {
      values[name] = f.default;
      continue;
    }
    given.add(name);
    if (f.type === 'boolean') values[name] = raw;
    else if (f.multiple) values[name] = (raw as string[]).flatMap((r) => f.parse(r, name) as unknown[]);
    else values[name] = f.parse(raw as string, name);
  }
  return {
    values: values as FlagValues<F>,
    given: given as Set<keyof F & string>,
    positionals: parsed.positionals,
  };
}

/** The text of a command's `--help`. */
export interface HelpDoc {
  /** The first line(s): how to call it. */
  readonly usage: string;
  /** What it does, in paragraphs (already wrapped). */
  readonly description?: string;
  /** Sections after the flags, e.g. "Examples" → lines. */
  readonly after?: Readonly<Record<string, string>>;
}

const WIDTH = 100;
const FLAG_COLUMN = 24;

/** `--help` generated from the doc and the flag table: the flags by section, each with its allowed values and default. */
export function helpText(doc: HelpDoc, table: FlagTable): string {
  const out = [doc.usage];
  if (doc.description) out.push('', doc.description);
  const sections = new Map<string, Record<string, Flag<unknown, unknown>>>();
  for (const [name, f] of Object.entries(table)) {
    const flags = sections.get(f.section) ?? {};
    sections.set(f.section, flags);
    flags[name] = f;
  }
  for (const [section, flags] of sections) out.push('', `${section}:`, ...flagLines(flags));
  for (const [title, body] of Object.entries(doc.after ?? {})) out.push('', `${title}:`, body);
  return out.join('\n');
}

/** The lines `--help` gives the flags of `table`, each `--name VALUE` and what {@link describeFlag} says, wrapped. */
export function flagLines(table: FlagTable): string[] {
  return Object.entries(table).flatMap(([name, f]) =>
    hanging(`  --${name}${f.placeholder ? ` ${f.placeholder}` : ''}`, describeFlag(f)),
  );
}

/** What `--help` says of a flag: its help, its choices with their meanings, its default. */
export function describeFlag(f: Flag<unknown, unknown>): string {
  let s = f.help;
  if (f.choices) {
    const items = f.choices.map(([v, meaning]) => (meaning ? `${v} (${meaning})` : v));
    s += `: ${items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : items[0]}`;
  }
  if (f.defaultText !== undefined) return `${s} (default: ${f.defaultText})`;
  return f.default === undefined || f.type === 'boolean' || f.multiple
    ? s
    : `${s} (default ${String(f.default)})`;
}

/** `head` then `text` wrapped at {@link WIDTH}, continuation lines indented to the text's column. */
function hanging(head: string, text: string): string[] {
  const column = Math.max(FLAG_COLUMN, head.length + 2);
  const lines: string[] = [];
  let line = head.padEnd(column);
  let empty = true;
  for (const word of text.split(/\s+/)) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(column);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}
