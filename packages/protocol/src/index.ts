/**
 * @backprop/protocol — the engine protocol (version {@link PROTOCOL_VERSION}, docs/protocol.md):
 * JSON lines over an engine's standard input and output, float arrays exact as base64 float64.
 * {@link StdioEngine} starts an engine from a command line; its networks are {@link ProtocolBackend}s,
 * `Backend`s the conformance suite holds to the formulas like any other. The Python client library
 * (`python/backprop_engine.py`, stdlib + NumPy) lets an engine be a few functions.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export {
  type EngineAvailability,
  PROTOCOL_EPOCH_EXPECTATIONS,
  ProtocolBackend,
  StdioEngine,
  type StdioEngineOptions,
} from './backend.js';
export {
  DEFAULT_TIMEOUTS,
  EngineError,
  EngineProcess,
  type EngineProcessOptions,
  type EngineTimeouts,
  MAX_LINE_BYTES,
  parseCommand,
} from './engine-process.js';
export {
  EXTENSIONS,
  type Extension,
  type Hello,
  OPS,
  type Op,
  PROTOCOL_VERSION,
  parseHello,
} from './messages.js';
export { DEFAULT_PYTHONS, findPython, type PythonSearch, pythonCandidates } from './python.js';
export {
  decodeArray,
  decodeParams,
  decodeScalar,
  encodeArray,
  encodeParams,
  encodeScalar,
  ProtocolError,
  type WireArray,
  type WireParams,
  type WireScalar,
} from './wire.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folder holding the Python client library `backprop_engine.py` (put it on PYTHONPATH). */
export const PYTHON_DIR: string = join(root, 'python');

/** The JSON schema of every protocol message (`protocol.schema.json`). */
export const SCHEMA_PATH: string = join(root, 'protocol.schema.json');
