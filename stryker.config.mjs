// @ts-check
/**
 * `pnpm mutation`: StrykerJS mutates the code of @backprop/core that the reference backend runs
 * (its maths, kernels, SGD step and epoch loop), and the conformance suite on the reference
 * (packages/conformance/test/mutation/reference.conformance.ts, with vitest.mutation.config.ts)
 * is the only test, so the score says how much of that code the suite itself pins down. Core's
 * own unit tests are not run. Results: reports/mutation/mutation.{html,json}; docs/conformance.md
 * has the score and every survivor.
 *
 * Left out of the mutation (docs/conformance.md says why, function by function): code the
 * reference never runs (the scalar σ helpers, costValue, the pure forward/backprop wrappers,
 * initParams, flatten/unflatten, the generic epoch loop and its helpers, which other backends use),
 * input validation (a guard `if (…) throw …`: the suite gives no bad input; core's unit tests do),
 * and error messages (StringLiteral mutations). The ranges are computed from the sources at each
 * run, so edits to core do not make them stale.
 */
import { readFileSync } from 'node:fs';

/**
 * The files mutated, and what in each is left out: a name is a function, method or constant
 * (its whole declaration); `{ block, why }` the block that opens on the line matching `block`;
 * `{ line, why }` the one line matching it. Each is code the suite cannot observe, with the
 * reason (docs/conformance.md#out-of-scope). A pattern that matches nothing stops the run, so an
 * edit to core cannot silently widen or narrow the scope.
 */
const SCOPE = {
  'activation.ts': [
    'sigmoid',
    'sigmoidPrime',
    'relu',
    'reluPrime',
    'identity',
    'identityPrime',
    'activations',
    'ACTIVATIONS',
    'softmax',
  ],
  'cost.ts': ['COSTS', 'costValue', 'costGradient'],
  'forward.ts': ['forward'],
  'backprop.ts': ['backprop'],
  'kernels.ts': [],
  'sparse-input.ts': [
    // Why: the index of non-zero columns only makes indexRows faster; when it is missing (null,
    // undefined, rebuilt) indexRows scans the features and gives the same rows.
    'nonZeroColumns',
    {
      block: /^\s+for \(let k = 0; k < n0; k\+\+\) \{$/,
      why: 'the scan for data sets too large to index (over 2^31 features): no case can hold one',
    },
  ],
  'sgd.ts': ['validateSgd'],
  'params.ts': [
    'INITS',
    'parameterCount',
    'validateSpec',
    'initParams',
    'checkParamShapes',
    'flattenParams',
    'unflattenParams',
  ],
  'reference.ts': [
    'checkBatch',
    'createReferenceBackend',
    'getVelocity',
    'setVelocity',
    // Why: whether a batch reuses the workspace or gets a new one; the results are the same.
    'workspace',
    {
      line: /if \(data\.inputSize !== n0 \|\| data\.classes !== nL\) return genericTrainEpoch/,
      why: 'the choice between the fast epoch loop and the generic one, bit-identical by design (core tests it); data that fits neither is refused before',
    },
  ],
  'epoch.ts': ['genericTrainEpoch', 'batchOf', 'checkEpochData', 'stepsToPause'],
  'workspace.ts': [],
};

/** The line (1-based) where the block opened at or after `from` closes (braces matched, strings ignored). */
function blockEnd(lines, from) {
  let depth = 0;
  let opened = false;
  for (let i = from; i < lines.length; i++) {
    const code = lines[i].replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|\/\/.*$/g, '');
    for (const ch of code) {
      if (ch === '{' || ch === '(' || ch === '[') {
        depth++;
        opened = true;
      } else if (ch === '}' || ch === ')' || ch === ']') depth--;
    }
    if (opened && depth <= 0 && /[};]\s*$/.test(code.trim() || ';')) return i + 1;
  }
  return lines.length;
}

/** Lines left out of a file: the named declarations and patterns, and every guard `if (…) throw …`. */
function excludedLines(file, lines, scope) {
  const out = new Set();
  const names = scope.filter((x) => typeof x === 'string');
  for (const x of scope) {
    if (typeof x === 'string') {
      if (!lines.some((l) => new RegExp(`\\b${x}\\b`).test(l)))
        throw new Error(`stryker.config.mjs: ${file} has no '${x}'`);
      continue;
    }
    const at = lines.findIndex((l) => (x.block ?? x.line).test(l));
    if (at < 0) throw new Error(`stryker.config.mjs: no line of ${file} matches ${x.block ?? x.line}`);
    const end = x.block ? blockEnd(lines, at) : at + 1;
    for (let k = at; k < end; k++) out.add(k + 1);
  }
  const decl = new RegExp(
    `^(?:export\\s+)?(?:(?:async\\s+)?function\\s+|const\\s+|(?:\\s+)(?:private\\s+|async\\s+)*)(${names.join('|') || '$^'})\\b\\s*[(=:<]`,
  );
  lines.forEach((line, i) => {
    if (names.length > 0 && decl.test(line)) {
      // Its TSDoc comment above, then the declaration to the end of its block.
      let start = i;
      while (start > 0 && /^\s*(\*|\/\*\*)/.test(lines[start - 1])) start--;
      for (let k = start; k < blockEnd(lines, i); k++) out.add(k + 1);
    }
    if (/^\s*if \(/.test(line)) {
      const end = blockEnd(lines, i);
      const body = lines.slice(i, end).join('\n');
      if (/\)\s*throw\b|^\s*throw\b/m.test(body) && !/\{\s*$/.test(lines[i]))
        for (let k = i; k < end; k++) out.add(k + 1);
    }
  });
  return out;
}

/** `file:a-b` ranges for the lines of `file` not left out. */
function ranges(file, scope) {
  const lines = readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const skip = excludedLines(file, lines, scope);
  const out = [];
  let start = 0;
  for (let n = 1; n <= lines.length + 1; n++) {
    const keep = n <= lines.length && !skip.has(n);
    if (keep && start === 0) start = n;
    if (!keep && start !== 0) {
      out.push(`${file}:${start}-${n - 1}`);
      start = 0;
    }
  }
  return out;
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'packages/conformance/vitest.mutation.config.ts', dir: 'packages/conformance' },
  mutate: Object.entries(SCOPE).flatMap(([f, names]) => ranges(`packages/core/src/${f}`, names)),
  // pnpm's packages resolve through their own node_modules, which Stryker's sandbox always leaves
  // out (every `node_modules`, at any depth): mutate the sources where they are. Stryker restores
  // them when it ends or is interrupted; a killed run cannot, so `pnpm mutation` runs Stryker
  // through scripts/mutation.mjs, which snapshots core's sources and restores them in every case.
  // Never run `npx stryker run` directly.
  inPlace: true,
  // vitest does not type-check, and in place the `// @ts-nocheck` Stryker adds would touch every source file.
  disableTypeChecks: false,
  coverageAnalysis: 'perTest',
  // Two shared cores: one test runner each.
  concurrency: 2,
  // A mutant that loops forever (a loop's step mutated) is stopped after 1.5 × its tests' time + 10 s.
  timeoutMS: 10_000,
  // Not incremental: Stryker's incremental mode sees changes in the test file only, never in the
  // suite's sources (packages/conformance/src), so after new cases it would report the old
  // survivors as surviving. `pnpm mutation:survivors` reruns just those instead.
  incremental: false,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  mutator: { excludedMutations: ['StringLiteral'] },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
