import { describe, expect, it } from 'vitest';
import {
  availability,
  type BackendEntry,
  BackendOptionError,
  BackendUnavailableError,
  checkBackendOptions,
  createReferenceBackend,
  getBackend,
  initParams,
  listBackends,
  type NetworkSpec,
  openBackend,
  referenceEntry,
  registerBackend,
  UnknownBackendError,
} from '../src/index.js';

const spec: NetworkSpec = { sizes: [3, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
const params = initParams(spec, 1);

/** An entry that counts its probes and creations; available unless `reason` is given. */
function countingEntry(name: string, extra: Partial<BackendEntry> & { reason?: string } = {}) {
  const calls = { probe: 0, create: 0, options: [] as unknown[] };
  const entry: BackendEntry = {
    name,
    dtype: 'float64',
    description: `test entry ${name}`,
    async probe() {
      calls.probe++;
      return extra.reason ? { available: false, reason: extra.reason } : { available: true, device: 'js' };
    },
    async create(s, p, options = {}) {
      checkBackendOptions(entry, options);
      calls.create++;
      calls.options.push(options);
      return createReferenceBackend(s, p);
    },
    ...(extra.options ? { options: extra.options } : {}),
  };
  return { entry, calls };
}

describe('the backend registry (core)', () => {
  it('holds the reference from the start, first, without any registration call', () => {
    expect(listBackends()[0]).toBe(referenceEntry);
    expect(getBackend('reference')).toBe(referenceEntry);
    expect(referenceEntry.dtype).toBe('float64');
  });

  it('registers an entry once; the same entry again is a no-op, another with its name an error', () => {
    const { entry } = countingEntry('reg-twice');
    registerBackend(entry);
    registerBackend(entry);
    expect(listBackends().filter((e) => e.name === 'reg-twice')).toHaveLength(1);
    expect(() => registerBackend({ ...entry })).toThrow(/a backend named 'reg-twice' is already registered/);
  });

  it('names the known backends for an unknown name', () => {
    const e = (() => {
      try {
        getBackend('abacus');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(UnknownBackendError);
    expect((e as Error).message).toMatch(/^unknown backend 'abacus'; known: reference(, |$)/);
    expect((e as UnknownBackendError).known).toContain('reference');
  });

  it('probes once per process, and a probe that throws is unavailable with its message', async () => {
    const { entry, calls } = countingEntry('probe-once');
    await availability(entry);
    await availability(entry);
    expect(calls.probe).toBe(1);
    const throwing: BackendEntry = {
      ...entry,
      name: 'probe-throws',
      probe: async () => {
        throw new Error('driver missing');
      },
    };
    expect(await availability(throwing)).toEqual({ available: false, reason: 'driver missing' });
  });

  it('an option a backend does not take is refused, naming the option and the backends that take it', async () => {
    const { entry } = countingEntry('takes-mode', { options: ['mode', 'stepsPerRun'] });
    registerBackend(entry);
    const refused = await referenceEntry.create(spec, params, { mode: 'naive' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendOptionError);
    expect((refused as Error).message).toMatch(
      /^backend 'reference' does not take the option mode \(training mode naive\|fast\); the backends that take it: (.*, )?takes-mode/,
    );
    expect((refused as BackendOptionError).option).toBe('mode');
    expect((refused as BackendOptionError).takenBy).toContain('takes-mode');
    // An option set to undefined is not given; an unknown option is named with the list of options.
    expect(() => checkBackendOptions(referenceEntry, { mode: undefined })).not.toThrow();
    expect(() => checkBackendOptions(entry, { frobnicate: 1 } as never)).toThrow(
      /unknown backend option 'frobnicate'; the options are mode, stepsPerRun, intraOpThreads/,
    );
    expect(() => checkBackendOptions(entry, { intraOpThreads: 2 })).toThrow(
      /'takes-mode' does not take the option intraOpThreads \(intra-op threads\); no registered backend takes it$/,
    );
    expect(() => checkBackendOptions(entry, { mode: 'fast', stepsPerRun: 4 })).not.toThrow();
  });

  it('openBackend: checks the name and the options before probing, then the availability, then creates', async () => {
    await expect(openBackend('abacus', spec, params)).rejects.toThrow(UnknownBackendError);
    const off = countingEntry('open-off', { reason: 'no device here: install the driver' });
    registerBackend(off.entry);
    await expect(openBackend('open-off', spec, params, { mode: 'fast' })).rejects.toThrow(BackendOptionError);
    expect(off.calls.probe).toBe(0); // the options were refused before any probe
    const unavailable = await openBackend('open-off', spec, params).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(BackendUnavailableError);
    expect((unavailable as Error).message).toBe(
      "backend 'open-off' is not available here: no device here: install the driver",
    );
    expect(off.calls.create).toBe(0);

    const on = countingEntry('open-on', { options: ['stepsPerRun'] });
    registerBackend(on.entry);
    const b = await openBackend('open-on', spec, params, { stepsPerRun: 8 });
    expect(on.calls.options).toEqual([{ stepsPerRun: 8 }]);
    expect(Array.from((await b.getParams()).weights[0]!)).toEqual(Array.from(params.weights[0]!));
    const ref = await openBackend('reference', spec, params);
    expect(ref.name).toBe('reference');
  });
});
