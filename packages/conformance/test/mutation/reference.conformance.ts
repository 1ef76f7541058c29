// The conformance suite on the reference, with @backprop/core from its sources: the only test of
// `pnpm mutation` (vitest.mutation.config.ts). Not part of `pnpm test`, whose runs of the same
// suite (one per registered backend) are in packages/cli/test/conformance-backends.test.ts.
//
// Every clause and every case family, fixed cases included, with 5 random cases per clause and
// family (runs = 5) instead of the default 20, so that a run over a thousand mutants fits on two
// cores: the score is a lower bound for the default suite. The clauses that kill most mutants
// come first (StrykerJS stops at a mutant's first failing test).
import { referenceEntry } from '@backprop/core';
import { CLAUSES } from '../../src/clauses/index.js';
import { describeConformance } from '../../src/vitest.js';

const FIRST = ['fwd.affine', 'fwd.act', 'bp1', 'bp2', 'bp3', 'bp4', 'cost.cross-entropy', 'sgd.step'];
const order = [...FIRST, ...CLAUSES.map((c) => c.id).filter((id) => !FIRST.includes(id))];
for (const id of order) describeConformance(referenceEntry, { clauses: [id], runs: 5, required: true });
