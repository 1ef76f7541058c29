// Every clause on PyTorch in float64 (skipped with the reason when no Python here imports torch,
// failed when BACKPROP_REQUIRE_BACKENDS names torch).
import { describeConformance } from '@backprop/conformance/vitest';
import { torchEntry64 } from '../src/index.js';

describeConformance(torchEntry64);
