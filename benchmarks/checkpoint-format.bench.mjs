// What one checkpoint costs in JavaScript, for the run that waits while its text is made (the
// file itself is written in the background): serialize the state to its text, then parse the text
// back and validate it as a resume does (the writer validates the JSON value it serializes; the
// parse is here so that both formats are measured on the same footing) — for
// the document's network with momentum (2 × 13,002 float64), in one process, side by side with
// another build's core (`--against`, e.g. a checkout of an older commit: checkpoint format
// version 1 wrote the parameters as JSON numbers, version 2 as base64 of float64).
//
//   node benchmarks/checkpoint-format.bench.mjs [--against OTHER/packages/core/dist/index.js]
//        [--reps 400] [--out-dir runs/bench]
//
// Each round runs every contender once, the first rotating from round to round; the first tenth
// of the rounds warm up and are left out. Medians, and the ratio of this build's to the other's.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { environment, median, parseBenchArgs, positiveInt, runMain, table, writeJson } from './common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMain('checkpoint-format.bench', async () => {
    const values = parseBenchArgs('checkpoint-format.bench', {
      against: { type: 'string' },
      reps: { type: 'string', default: '400' },
      'out-dir': { type: 'string', default: 'runs/bench' },
    });
    const reps = positiveInt(values, 'reps');
    const contenders = [['this build', join(root, 'packages/core/dist/index.js')]];
    if (values.against) contenders.push([`--against ${values.against}`, resolve(values.against)]);
    const cores = await Promise.all(contenders.map(([, path]) => import(pathToFileURL(path).href)));
    const core = cores[0];
    const spec = core.DOCUMENT_SPEC;
    const steps = Array.from({ length: 55 }, (_, i) => ({
      step: 100 * (i + 1),
      epoch: i < 50 ? 1 : 2,
      cost: 0.1,
      seconds: i / 100,
    }));
    const state = {
      epoch: 2,
      stepInEpoch: 500,
      step: 5500,
      params: core.initParams(spec, 1),
      velocity: core.initParams(spec, 2),
      epochCostSum: 12.5,
      pointCostSum: 1.5,
      pointCostCount: 7,
      epochSeconds: 0.1,
      seconds: 0.5,
      steps,
      epochs: [
        {
          epoch: 1,
          step: 5000,
          seconds: 0.4,
          epochSeconds: 0.3,
          trainCost: 0.2,
          validation: null,
          test: null,
        },
      ],
    };
    const checkpoint = {
      spec,
      run: { argv: ['--checkpoint-every', '500'], cwd: root, started: new Date(0).toISOString() },
      state,
    };
    /** The text of the checkpoint, read back and validated as a resume reads it. */
    const once = (m) => {
      const t = performance.now();
      const text = m.serializeCheckpoint(checkpoint);
      m.parseCheckpoint(JSON.parse(text), 'bench');
      return { ms: performance.now() - t, bytes: Buffer.byteLength(text) };
    };
    const ms = contenders.map(() => []);
    const bytes = contenders.map(() => 0);
    for (let r = 0; r < reps; r++)
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + r) % contenders.length;
        const o = once(cores[i]);
        if (r >= reps / 10) ms[i].push(o.ms);
        bytes[i] = o.bytes;
      }
    const med = ms.map(median);
    console.log(
      table(
        ['core', 'median ms per checkpoint', 'KiB'],
        contenders.map(([name], i) => [name, med[i].toFixed(3), (bytes[i] / 1024).toFixed(0)]),
      ),
    );
    if (contenders.length > 1)
      console.log(
        `this build / the other: ${(med[0] / med[1]).toFixed(3)} of the time, ${(bytes[0] / bytes[1]).toFixed(3)} of the size`,
      );
    writeJson(values['out-dir'], 'checkpoint-format.json', {
      ...environment(),
      reps,
      contenders: contenders.map(([name, path], i) => ({ name, path, medianMs: med[i], bytes: bytes[i] })),
    });
  });
