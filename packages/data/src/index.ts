export { Rng, deriveSeed } from './rng.js';
export { type DataSet, makeDataSet, slice, fillInputs, fillTargets } from './dataset.js';
export { type LastBatchPolicy, epochBatches } from './batches.js';
