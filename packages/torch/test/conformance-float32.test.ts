// Every clause on PyTorch in float32 (float32 tolerances; required in CI as torch-float32).
import { describeConformance } from '@backprop/conformance/vitest';
import { torchEntry32 } from '../src/index.js';

describeConformance(torchEntry32);
