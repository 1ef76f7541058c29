/**
 * `@backprop/protocol` in the page. The protocol runs an engine as a child process over stdin and
 * stdout; a page has no processes, so `backprop conformance --engine` has no browser form. The
 * suite imports the protocol for that flag only; this module stands in for it in the bundle and
 * says so if it is ever used.
 */
export class StdioEngine {
  constructor() {
    throw new Error('the stdio engine protocol spawns a process: not available in a browser');
  }
}

/** The expectations `engineEntry` gives to whole-epoch engines; no engine runs in a page, so none. */
export const PROTOCOL_EPOCH_EXPECTATIONS: Readonly<Record<string, never>> = Object.freeze({});
