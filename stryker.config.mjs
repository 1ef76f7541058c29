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

/** The files mutated, and the functions (or constants) in each that are left out. */
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
  'sparse-input.ts': [],
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
  'reference.ts': ['checkBatch', 'createReferenceBackend', 'getVelocity', 'setVelocity'],
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

/** Lines left out of a file: the named declarations, and every guard `if (…) throw …`. */
function excludedLines(lines, names) {
  const out = new Set();
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
function ranges(file, names) {
  const lines = readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const skip = excludedLines(lines, names);
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
  // pnpm's packages resolve through their own node_modules, which Stryker's sandbox leaves out:
  // mutate the sources where they are (Stryker restores them from .stryker-tmp when it ends).
  inPlace: true,
  // vitest does not type-check, and in place the `// @ts-nocheck` Stryker adds would touch every source file.
  disableTypeChecks: false,
  coverageAnalysis: 'perTest',
  // Two shared cores: one test runner each.
  concurrency: 2,
  // A mutant that loops forever (a loop's step mutated) is stopped after 1.5 × its tests' time + 10 s.
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  mutator: { excludedMutations: ['StringLiteral'] },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
