import { describeConformance } from '@backprop/conformance/vitest';
import { referenceEntry } from '../src/index.js';

// The float64 reference against every clause: one test per clause, titled with its id.
describeConformance(referenceEntry, { required: true });
