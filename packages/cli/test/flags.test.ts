import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.js';
import {
  BELOW_ONE,
  choice,
  describeFlag,
  helpText,
  integer,
  number,
  POSITIVE,
  parseFlags,
  text,
  texts,
  toggle,
} from '../src/flags.js';
import { BACKPROP } from '../src/main.js';

const TABLE = {
  epochs: integer({ section: 'Training', help: 'passes', default: 30 }),
  seed: integer({ section: 'Training', help: 'the seed', default: 1, min: null }),
  eta: number({ section: 'Training', help: 'the learning rate', default: 3, check: POSITIVE }),
  momentum: number({ section: 'Training', help: 'momentum', default: 0, check: BELOW_ONE }),
  cost: choice(['quadratic', 'cross-entropy'] as const, {
    section: 'Network',
    help: 'the cost',
    meanings: { quadratic: '½Σ(a−y)²' },
    default: 'quadratic',
  }),
  mode: choice(['naive', 'fast'] as const, { section: 'Network', help: 'the mode', defaultText: 'fast' }),
  out: text({ section: 'Output', placeholder: 'PATH', help: 'where' }),
  backend: texts({ section: 'Output', placeholder: 'NAME', help: 'repeatable' }),
  quiet: toggle({ section: 'Output', help: 'say less' }),
} as const;

describe('flag tables', () => {
  it('parse to typed values, with the defaults for flags not given and the set of those given', () => {
    const p = parseFlags(
      ['--eta=0.5', '--cost', 'cross-entropy', '--backend', 'a', '--backend', 'b', '--quiet'],
      TABLE,
    );
    expect(p.values).toEqual({
      epochs: 30,
      seed: 1,
      eta: 0.5,
      momentum: 0,
      cost: 'cross-entropy',
      mode: undefined,
      out: undefined,
      backend: ['a', 'b'],
      quiet: true,
    });
    expect([...p.given].sort()).toEqual(['backend', 'cost', 'eta', 'quiet']);
    expect(parseFlags([], TABLE).values.backend).toEqual([]);
    expect(parseFlags(['x.json'], TABLE, { positionals: true }).positionals).toEqual(['x.json']);
  });

  it('reject every bad value with the message naming the flag', () => {
    const cases: [string[], string][] = [
      [['--bogus'], "Unknown option '--bogus'"],
      [['--epochs'], "Option '--epochs <value>' argument missing"],
      [['--epochs', '0'], '--epochs must be an integer ≥ 1, got 0'],
      [['--epochs', 'many'], "--epochs must be a number, got 'many'"],
      [['--epochs', ' '], "--epochs must be a number, got ' '"],
      [['--seed', '1.5'], '--seed must be an integer, got 1.5'],
      [['--eta', '0'], '--eta must be greater than 0, got 0'],
      [['--eta', 'Infinity'], "--eta must be a number, got 'Infinity'"],
      [['--momentum', '1'], '--momentum must be in [0, 1), got 1'],
      [['--cost', 'hinge'], "--cost must be one of quadratic, cross-entropy; got 'hinge'"],
      [['stray'], "Unexpected argument 'stray'"],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseFlags(argv, TABLE), argv.join(' ')).toThrow(UsageError);
      expect(() => parseFlags(argv, TABLE), argv.join(' ')).toThrow(message);
    }
  });

  it('make --help: sections in order, each flag with its choices and default, long lines wrapped', () => {
    const help = helpText({ usage: 'prog [flags]', after: { Examples: '  prog --eta 1' } }, TABLE);
    expect(help.split('\n')).toEqual([
      'prog [flags]',
      '',
      'Training:',
      '  --epochs N            passes (default 30)',
      '  --seed N              the seed (default 1)',
      '  --eta X               the learning rate (default 3)',
      '  --momentum X          momentum (default 0)',
      '',
      'Network:',
      '  --cost NAME           the cost: quadratic (½Σ(a−y)²) or cross-entropy (default quadratic)',
      '  --mode NAME           the mode: naive or fast (default: fast)',
      '',
      'Output:',
      '  --out PATH            where',
      '  --backend NAME        repeatable',
      '  --quiet               say less',
      '',
      'Examples:',
      '  prog --eta 1',
    ]);
    const long = describeFlag(text({ section: 'S', help: 'word '.repeat(40).trim() }));
    const wrapped = helpText({ usage: 'u' }, { long: text({ section: 'S', help: long }) }).split('\n');
    expect(wrapped.length).toBeGreaterThan(4);
    for (const line of wrapped) expect(line.length).toBeLessThanOrEqual(100);
    expect(wrapped.slice(4).every((l) => l.startsWith(' '.repeat(24)))).toBe(true);
  });

  it('every command of backprop lists each flag of its table in its --help', async () => {
    for (const [name, load] of Object.entries(BACKPROP.commands)) {
      const command = await load();
      for (const flag of Object.keys(command.flags))
        expect(command.help, `${name} --${flag}`).toMatch(new RegExp(`--${flag}\\b`));
    }
  });
});
