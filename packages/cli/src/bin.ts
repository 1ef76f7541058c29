#!/usr/bin/env node
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Errors we raise name the problem and the fix; print the message, not a stack trace.
    console.error(`backprop: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.BACKPROP_DEBUG) console.error(e);
    process.exitCode = 1;
  },
);
